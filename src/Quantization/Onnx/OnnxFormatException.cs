namespace EdgeAI.Quantization.Onnx;

/// <summary>
/// An ONNX model that cannot be read or used as it is: bytes that are not a protobuf model (truncated,
/// random, nested too deeply), a tensor whose data does not match its declared type and dims, external
/// data outside the model's directory, or a graph that fails <see cref="OnnxModel.Validate"/>.
/// </summary>
/// <remarks>
/// The message names the file (when there is one), the tensor, node or field, and what was expected.
/// Every check runs before any allocation sized by the file's declarations, so a hostile file fails
/// with this exception rather than with an out-of-memory error.
/// </remarks>
public sealed class OnnxFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong, naming the tensor, node or field and what was expected.</param>
    /// <param name="path">The model or external data file, when there is one.</param>
    /// <param name="innerException">The parser's own error, if any.</param>
    public OnnxFormatException(string message, string? path = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Path = path;
    }

    /// <summary>The model or external data file the problem was found in, if any.</summary>
    public string? Path { get; }
}

namespace EdgeAI.Inference;

/// <summary>
/// A file could not be parsed: a manifest that is not valid JSON or lacks a required field, or an
/// .onnx file that ONNX Runtime rejects (corrupt, truncated, not a model).
/// </summary>
public sealed class ModelFormatException : EdgeModelException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong, naming the field and what was expected.</param>
    /// <param name="path">The file that could not be parsed.</param>
    /// <param name="innerException">The parser's own error, if any.</param>
    public ModelFormatException(string message, string? path, Exception? innerException = null)
        : base(message, path, innerException)
    {
    }
}

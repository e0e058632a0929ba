namespace EdgeAI.Quantization.Calibration;

/// <summary>
/// A file that is not a NumPy <c>.npy</c> array this library reads: wrong magic or version, a header that is not
/// the dictionary the format defines, an unsupported dtype or Fortran order, or data that does not match the
/// declared shape. The message names the file, the header field and what was expected.
/// </summary>
public sealed class NpyFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong, naming the field and what was expected.</param>
    /// <param name="path">The file, when there is one.</param>
    public NpyFormatException(string message, string? path = null)
        : base(message)
    {
        Path = path;
    }

    /// <summary>The file the problem was found in, if any.</summary>
    public string? Path { get; }
}

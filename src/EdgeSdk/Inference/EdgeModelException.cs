namespace EdgeAI.Inference;

/// <summary>
/// Base of the errors the inference core raises for a model that cannot be used or an input that
/// does not fit it. Catch this to handle every model problem in one place; the sealed subclasses tell
/// which kind it was. Messages name the file, the manifest field and the expected value.
/// </summary>
public abstract class EdgeModelException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong, naming the file or field and what was expected.</param>
    /// <param name="path">The file the problem is in, when there is one.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    protected EdgeModelException(string message, string? path, Exception? innerException = null)
        : base(message, innerException)
    {
        Path = path;
    }

    /// <summary>The file the problem was found in (manifest, model or sample file), if any.</summary>
    public string? Path { get; }
}

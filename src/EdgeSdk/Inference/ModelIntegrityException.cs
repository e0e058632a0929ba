namespace EdgeAI.Inference;

/// <summary>
/// A model file's size or SHA-256 differs from what its manifest records: the file was changed,
/// truncated or replaced after the manifest was written. The model is refused.
/// </summary>
public sealed class ModelIntegrityException : EdgeModelException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What differs, with both values.</param>
    /// <param name="path">The model file.</param>
    /// <param name="expected">The value the manifest records.</param>
    /// <param name="actual">The value computed from the file.</param>
    public ModelIntegrityException(string message, string path, string expected, string actual)
        : base(message, path)
    {
        Expected = expected;
        Actual = actual;
    }

    /// <summary>The size or hash the manifest records.</summary>
    public string Expected { get; }

    /// <summary>The size or hash computed from the file.</summary>
    public string Actual { get; }
}

namespace EdgeAI.Messaging;

/// <summary>The outbox file cannot be opened or used: not a SQLite database, corrupt, or not writable.</summary>
public sealed class OutboxException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong, naming the file.</param>
    /// <param name="path">The outbox file.</param>
    /// <param name="innerException">SQLite's own error, if any.</param>
    public OutboxException(string message, string path, Exception? innerException = null)
        : base(message, innerException)
    {
        Path = path;
    }

    /// <summary>The outbox file.</summary>
    public string Path { get; }
}

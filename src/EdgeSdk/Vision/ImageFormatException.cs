namespace EdgeAI.Vision;

/// <summary>
/// An image or camera frame cannot be used: not a PNG/JPEG/BMP, truncated or corrupt, empty, or larger
/// than the configured limit. The message names the source (file or frame) and what was expected.
/// Camera sources count such frames as corrupt and skip them; only direct decoder calls see this.
/// </summary>
public sealed class ImageFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong, naming the source and what was expected.</param>
    /// <param name="sourceId">The file path or frame id the image came from.</param>
    /// <param name="innerException">The decoder's own error, if any.</param>
    public ImageFormatException(string message, string sourceId, Exception? innerException = null)
        : base(message, innerException)
    {
        SourceId = sourceId;
    }

    /// <summary>The file path or frame id (e.g. <c>http://cam/stream#42</c>) the image came from.</summary>
    public string SourceId { get; }
}

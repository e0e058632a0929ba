namespace EdgeAI.Audio;

/// <summary>
/// A WAV file cannot be used: not RIFF/WAVE, truncated, a chunk or field out of range, or an encoding
/// this reader does not handle. The message names the source, the chunk or field and what was expected.
/// </summary>
public sealed class WavFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong, naming the source, the field and what was expected.</param>
    /// <param name="sourceId">The file path or stream name the audio came from.</param>
    public WavFormatException(string message, string sourceId)
        : base(message)
    {
        SourceId = sourceId;
    }

    /// <summary>The file path or stream name the audio came from.</summary>
    public string SourceId { get; }
}

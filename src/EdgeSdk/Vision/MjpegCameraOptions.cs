namespace EdgeAI.Vision;

/// <summary>How an <see cref="MjpegHttpCameraSource"/> reads and recovers its stream.</summary>
public sealed class MjpegCameraOptions
{
    /// <summary>
    /// Largest part (one JPEG) accepted, in bytes (default 8 MiB). A part that declares or turns out to be
    /// larger is skipped without being buffered; the source's buffer is sized from this once.
    /// </summary>
    public int MaxPartBytes { get; set; } = 8 << 20;

    /// <summary>Largest header block of one part, in bytes (default 8 KiB).</summary>
    public int MaxHeaderBytes { get; set; } = 8 << 10;

    /// <summary>
    /// Wait before reconnecting after the stream ends, breaks or is refused (default 2 s). <see langword="null"/>:
    /// do not reconnect; the source ends when the stream does, and a refused connection throws.
    /// </summary>
    public TimeSpan? ReconnectDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>A stream that brings no byte for this long is treated as broken (default 10 s).</summary>
    public TimeSpan ReadTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Pixel format of the frames (default RGB).</summary>
    public PixelFormat Format { get; set; } = PixelFormat.Rgb24;

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentException">A setting is out of range; the message names it.</exception>
    public void Validate()
    {
        if (MaxPartBytes < 1024 || MaxPartBytes > (1 << 30))
        {
            throw new ArgumentException($"{nameof(MjpegCameraOptions)}.{nameof(MaxPartBytes)} is {MaxPartBytes}; expected 1 KiB to 1 GiB.", nameof(MaxPartBytes));
        }

        if (MaxHeaderBytes < 256 || MaxHeaderBytes > (1 << 20))
        {
            throw new ArgumentException($"{nameof(MjpegCameraOptions)}.{nameof(MaxHeaderBytes)} is {MaxHeaderBytes}; expected 256 bytes to 1 MiB.", nameof(MaxHeaderBytes));
        }

        if (ReconnectDelay is { } delay && delay < TimeSpan.Zero)
        {
            throw new ArgumentException($"{nameof(MjpegCameraOptions)}.{nameof(ReconnectDelay)} is {delay}; expected zero or more, or null for no reconnect.", nameof(ReconnectDelay));
        }

        if (ReadTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{nameof(MjpegCameraOptions)}.{nameof(ReadTimeout)} is {ReadTimeout}; expected a positive time.", nameof(ReadTimeout));
        }

        if (Format is not (PixelFormat.Gray8 or PixelFormat.Rgb24))
        {
            throw new ArgumentException($"{nameof(MjpegCameraOptions)}.{nameof(Format)} is {Format}; expected Gray8 or Rgb24.", nameof(Format));
        }
    }
}

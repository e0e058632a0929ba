namespace EdgeAI.Vision;

/// <summary>Limits that keep a hostile or broken image from exhausting a small board's memory.</summary>
public sealed class ImageDecoderOptions
{
    /// <summary>
    /// Largest width × height accepted (default 50 megapixels). Checked against the size the image
    /// declares in its header, before anything is allocated for its pixels.
    /// </summary>
    public long MaxPixels { get; set; } = 50_000_000;

    /// <summary>Largest encoded image accepted, in bytes (default 64 MiB).</summary>
    public int MaxEncodedBytes { get; set; } = 64 << 20;

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentException">A setting is out of range; the message names it.</exception>
    public void Validate()
    {
        if (MaxPixels <= 0)
        {
            throw new ArgumentException($"{nameof(ImageDecoderOptions)}.{nameof(MaxPixels)} is {MaxPixels}; expected a positive pixel count.", nameof(MaxPixels));
        }

        if (MaxEncodedBytes <= 0)
        {
            throw new ArgumentException($"{nameof(ImageDecoderOptions)}.{nameof(MaxEncodedBytes)} is {MaxEncodedBytes}; expected a positive byte count.", nameof(MaxEncodedBytes));
        }
    }
}

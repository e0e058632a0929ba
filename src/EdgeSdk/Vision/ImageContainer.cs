namespace EdgeAI.Vision;

/// <summary>Encoded image formats the decoder accepts, recognized by their signature bytes (never by file name).</summary>
public enum ImageContainer
{
    /// <summary>PNG (any bit depth; 16-bit samples are reduced to 8 bits).</summary>
    Png,

    /// <summary>JPEG (baseline and progressive).</summary>
    Jpeg,

    /// <summary>Windows BMP.</summary>
    Bmp,
}

namespace EdgeAI.Vision;

/// <summary>Layout of the bytes of a <see cref="Frame"/>: interleaved, 8 bits per channel, rows top to bottom, no padding.</summary>
public enum PixelFormat
{
    /// <summary>One byte per pixel, luma.</summary>
    Gray8 = 1,

    /// <summary>Three bytes per pixel in R, G, B order.</summary>
    Rgb24 = 3,
}

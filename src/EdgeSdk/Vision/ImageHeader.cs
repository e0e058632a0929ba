namespace EdgeAI.Vision;

/// <summary>What an encoded image declares about itself, read from its first bytes without decoding it.</summary>
/// <param name="Container">The encoded format.</param>
/// <param name="Width">Declared width in pixels (> 0).</param>
/// <param name="Height">Declared height in pixels (> 0).</param>
public readonly record struct ImageHeader(ImageContainer Container, int Width, int Height)
{
    /// <summary>Width times height.</summary>
    public long PixelCount => (long)Width * Height;
}

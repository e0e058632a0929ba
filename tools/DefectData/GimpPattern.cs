namespace EdgeAI.DefectData;

/// <summary>
/// Reader for GIMP pattern files (<c>.pat</c>): a big-endian header (header size, version 1, width, height,
/// bytes per pixel 1-4, magic <c>GPAT</c>, UTF-8 name) followed by width x height x bpp raw pixel bytes.
/// </summary>
public static class GimpPattern
{
    /// <summary>Largest side accepted; GIMP's own patterns are at most a few hundred pixels.</summary>
    public const int MaxSide = 4096;

    /// <summary>Decodes a pattern into interleaved RGB in [0, 1] (alpha is dropped, gray is replicated).</summary>
    /// <exception cref="InvalidDataException">The data is not a valid version-1 pattern; the message says which field.</exception>
    public static (float[] Rgb, int Width, int Height) Decode(ReadOnlySpan<byte> data, string source)
    {
        if (data.Length < 24)
        {
            throw new InvalidDataException($"GIMP pattern '{source}': {data.Length} bytes is shorter than the 24-byte header.");
        }

        var headerSize = ReadU32(data, 0);
        var version = ReadU32(data, 4);
        var width = ReadU32(data, 8);
        var height = ReadU32(data, 12);
        var bpp = ReadU32(data, 16);
        if (data[20] != 'G' || data[21] != 'P' || data[22] != 'A' || data[23] != 'T')
        {
            throw new InvalidDataException($"GIMP pattern '{source}': magic is not 'GPAT'.");
        }

        if (version != 1)
        {
            throw new InvalidDataException($"GIMP pattern '{source}': version is {version}; expected 1.");
        }

        if (width is 0 or > MaxSide || height is 0 or > MaxSide)
        {
            throw new InvalidDataException($"GIMP pattern '{source}': size {width}x{height} is outside 1..{MaxSide}.");
        }

        if (bpp is < 1 or > 4)
        {
            throw new InvalidDataException($"GIMP pattern '{source}': bytes per pixel is {bpp}; expected 1 to 4.");
        }

        if (headerSize < 24 || headerSize > data.Length)
        {
            throw new InvalidDataException($"GIMP pattern '{source}': header size {headerSize} is outside 24..{data.Length}.");
        }

        var w = (int)width;
        var h = (int)height;
        var channels = (int)bpp;
        long needed = (long)headerSize + ((long)w * h * channels);
        if (needed > data.Length)
        {
            throw new InvalidDataException($"GIMP pattern '{source}': {w}x{h}x{channels} pixels need {needed} bytes; the file has {data.Length}.");
        }

        var pixels = data.Slice((int)headerSize, w * h * channels);
        var rgb = new float[w * h * 3];
        for (var i = 0; i < w * h; i++)
        {
            var p = pixels.Slice(i * channels, channels);
            var gray = channels <= 2;
            rgb[(i * 3) + 0] = p[0] / 255f;
            rgb[(i * 3) + 1] = (gray ? p[0] : p[1]) / 255f;
            rgb[(i * 3) + 2] = (gray ? p[0] : p[2]) / 255f;
        }

        return (rgb, w, h);
    }

    private static uint ReadU32(ReadOnlySpan<byte> data, int offset) =>
        System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(data.Slice(offset, 4));
}

using EdgeAI.Vision;
using StbImageWriteSharp;

namespace EdgeAI.Sdk.Tests.Vision;

/// <summary>Images generated in the test, encoded with StbImageWriteSharp (an encoder independent of the decoder under test).</summary>
internal static class TestImages
{
    /// <summary>A smooth but non-separable color pattern, so resampling errors show in every channel.</summary>
    public static byte[] Pattern(int width, int height, int channels, int seed = 0)
    {
        var pixels = new byte[width * height * channels];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                for (var c = 0; c < channels; c++)
                {
                    var v = 127.5 + (127.5 * Math.Sin((0.37 + (0.11 * c)) * x + (0.23 * y) + (0.05 * x * y / (1.0 + c)) + seed));
                    pixels[(((y * width) + x) * channels) + c] = (byte)Math.Round(v);
                }
            }
        }

        return pixels;
    }

    public static byte[] Png(byte[] pixels, int width, int height, int channels) =>
        Encode(s => new ImageWriter().WritePng(pixels, width, height, Components(channels), s));

    public static byte[] Bmp(byte[] pixels, int width, int height, int channels) =>
        Encode(s => new ImageWriter().WriteBmp(pixels, width, height, Components(channels), s));

    public static byte[] Jpeg(byte[] pixels, int width, int height, int channels, int quality = 95) =>
        Encode(s => new ImageWriter().WriteJpg(pixels, width, height, Components(channels), s, quality));

    public static Frame FrameOf(byte[] pixels, int width, int height, PixelFormat format, long sequence = 0)
    {
        var frame = Frame.Rent(width, height, format, sequence, DateTimeOffset.UnixEpoch, "test");
        pixels.CopyTo(frame.Pixels);
        return frame;
    }

    private static ColorComponents Components(int channels) => channels switch
    {
        1 => ColorComponents.Grey,
        3 => ColorComponents.RedGreenBlue,
        _ => ColorComponents.RedGreenBlueAlpha,
    };

    private static byte[] Encode(Action<Stream> write)
    {
        using var stream = new MemoryStream();
        write(stream);
        return stream.ToArray();
    }
}

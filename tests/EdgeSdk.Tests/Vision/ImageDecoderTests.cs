using System.Buffers.Binary;
using EdgeAI.Vision;

namespace EdgeAI.Sdk.Tests.Vision;

public sealed class ImageDecoderTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
    private readonly ImageDecoder _decoder = new();

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Png_round_trips_exactly(int channels)
    {
        var pixels = TestImages.Pattern(23, 17, channels);
        var format = channels == 1 ? PixelFormat.Gray8 : PixelFormat.Rgb24;

        using var frame = _decoder.Decode(TestImages.Png(pixels, 23, 17, channels), format, "a.png", 7, T0);

        Assert.Equal((23, 17, format, 7L, T0, "a.png"), (frame.Width, frame.Height, frame.Format, frame.SequenceNumber, frame.Timestamp, frame.SourceId));
        Assert.Equal(pixels, frame.Pixels.ToArray());
    }

    [Fact]
    public void Bmp_round_trips_exactly()
    {
        var pixels = TestImages.Pattern(19, 11, 3);
        using var frame = _decoder.Decode(TestImages.Bmp(pixels, 19, 11, 3), PixelFormat.Rgb24, "a.bmp", 0, T0);
        Assert.Equal(pixels, frame.Pixels.ToArray());
    }

    [Fact]
    public void Jpeg_decodes_close_to_the_encoded_pixels()
    {
        var pixels = TestImages.Pattern(64, 48, 3);
        using var frame = _decoder.Decode(TestImages.Jpeg(pixels, 64, 48, 3, quality: 95), PixelFormat.Rgb24, "a.jpg", 0, T0);

        // Lossy: quality 95 on a smooth pattern stays within a few levels on average.
        var meanAbs = pixels.Zip(frame.Pixels.ToArray(), (a, b) => Math.Abs(a - b)).Average();
        Assert.InRange(meanAbs, 0.0, 4.0);
    }

    [Fact]
    public void Color_image_decoded_as_gray_uses_luma()
    {
        // Pure red, green and blue pixels: luma weights are visible directly.
        byte[] pixels = [255, 0, 0, 0, 255, 0, 0, 0, 255];
        using var frame = _decoder.Decode(TestImages.Png(pixels, 3, 1, 3), PixelFormat.Gray8, "rgb.png", 0, T0);

        // BT.601 weights 0.299, 0.587, 0.114 times 255 = 76.2, 149.7, 29.1; stb's integer version may be a level off.
        var gray = frame.Pixels.ToArray();
        Assert.InRange(gray[0], 75, 77);
        Assert.InRange(gray[1], 148, 151);
        Assert.InRange(gray[2], 28, 30);
    }

    [Fact]
    public void Header_reports_format_and_size_without_decoding()
    {
        var pixels = TestImages.Pattern(31, 9, 3);
        Assert.Equal(new ImageHeader(ImageContainer.Png, 31, 9), ImageDecoder.ReadHeader(TestImages.Png(pixels, 31, 9, 3), "x"));
        Assert.Equal(new ImageHeader(ImageContainer.Jpeg, 31, 9), ImageDecoder.ReadHeader(TestImages.Jpeg(pixels, 31, 9, 3), "x"));
        Assert.Equal(new ImageHeader(ImageContainer.Bmp, 31, 9), ImageDecoder.ReadHeader(TestImages.Bmp(pixels, 31, 9, 3), "x"));
    }

    [Fact]
    public void Empty_data_is_refused_naming_the_source()
    {
        var ex = Assert.Throws<ImageFormatException>(() => _decoder.Decode(Array.Empty<byte>(), PixelFormat.Rgb24, "cam/empty.png", 0, T0));
        Assert.Equal("cam/empty.png", ex.SourceId);
        Assert.Contains("cam/empty.png", ex.Message, StringComparison.Ordinal);
        Assert.Contains("empty", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_format_is_refused_with_the_expected_signatures()
    {
        var ex = Assert.Throws<ImageFormatException>(() => _decoder.Decode("GIF89a not supported"u8.ToArray(), PixelFormat.Rgb24, "x.gif", 0, T0));
        Assert.Contains("x.gif", ex.Message, StringComparison.Ordinal);
        Assert.Contains("expected a PNG", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("png", 0.5)]
    [InlineData("png", 0.9)]
    [InlineData("jpeg", 0.5)]
    [InlineData("jpeg", 0.05)]
    [InlineData("bmp", 0.5)]
    [InlineData("png", 0.02)]
    public void Truncated_image_is_refused(string kind, double keep)
    {
        var pixels = TestImages.Pattern(40, 30, 3);
        var full = kind switch
        {
            "png" => TestImages.Png(pixels, 40, 30, 3),
            "jpeg" => TestImages.Jpeg(pixels, 40, 30, 3),
            _ => TestImages.Bmp(pixels, 40, 30, 3),
        };
        var cut = full.AsSpan(0, (int)(full.Length * keep)).ToArray();

        var ex = Assert.Throws<ImageFormatException>(() => _decoder.Decode(cut, PixelFormat.Rgb24, "frame#3", 3, T0));
        Assert.Equal("frame#3", ex.SourceId);
        Assert.Contains("frame#3", ex.Message, StringComparison.Ordinal);
        // The reason is readable text: no NUL padding from stb, never an empty "decoded: ;".
        Assert.DoesNotContain('\0', ex.Message);
        Assert.DoesNotMatch(@"decoded:\s*;", ex.Message);
    }

    [Theory]
    [InlineData("bad crc", "bad crc")]
    [InlineData("\0\0\0   \0", "Exception with no reason")]
    [InlineData("  out\0of data \0", "out of data")]
    public void Decoder_reason_is_stbs_text_without_nul_padding(string message, string expected) =>
        Assert.Equal(expected, ImageDecoder.DecoderReason(new Exception(message)));

    [Fact]
    public void Corrupt_png_data_is_refused()
    {
        var png = TestImages.Png(TestImages.Pattern(40, 30, 3), 40, 30, 3);

        // Bit depth 3 does not exist (IHDR byte 24).
        png[24] = 3;
        Assert.Throws<ImageFormatException>(() => _decoder.Decode(png, PixelFormat.Rgb24, "bad-depth.png", 0, T0));
    }

    [Fact]
    public void Corrupt_jpeg_entropy_data_is_refused_or_decodes_to_the_declared_size()
    {
        var jpeg = TestImages.Jpeg(TestImages.Pattern(64, 64, 3), 64, 64, 3);
        var random = new Random(5);
        for (var i = jpeg.Length / 2; i < jpeg.Length - 2; i++)
        {
            jpeg[i] = (byte)random.Next(256);
        }

        // Garbage entropy-coded data may still be decodable (JPEG has no checksum); what matters is that it
        // never crashes and never yields a frame of another size.
        try
        {
            using var frame = _decoder.Decode(jpeg, PixelFormat.Rgb24, "noise.jpg", 0, T0);
            Assert.Equal((64, 64), (frame.Width, frame.Height));
        }
        catch (ImageFormatException ex)
        {
            Assert.Contains("noise.jpg", ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Huge_declared_png_is_refused_before_allocating()
    {
        var png = PngHeaderOnly(100_000, 100_000);
        var decoder = new ImageDecoder(new ImageDecoderOptions { MaxPixels = 10_000_000 });
        decoder.Decode(TestImages.Png(TestImages.Pattern(4, 4, 3), 4, 4, 3), PixelFormat.Rgb24, "warm-up", 0, T0).Dispose();

        var before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Assert.Throws<ImageFormatException>(() => decoder.Decode(png, PixelFormat.Rgb24, "huge.png", 0, T0));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Contains("100000x100000", ex.Message, StringComparison.Ordinal);
        Assert.Contains("MaxPixels", ex.Message, StringComparison.Ordinal);

        // The message and exception only: nowhere near the 30 GB the pixels would take.
        Assert.InRange(allocated, 0, 64 * 1024);
    }

    [Fact]
    public void Huge_declared_jpeg_is_refused()
    {
        var jpeg = TestImages.Jpeg(TestImages.Pattern(8, 8, 3), 8, 8, 3);
        var sof = jpeg.AsSpan().IndexOf(new byte[] { 0xFF, 0xC0 });
        BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 5), 60000);
        BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 7), 60000);

        var ex = Assert.Throws<ImageFormatException>(() => _decoder.Decode(jpeg, PixelFormat.Rgb24, "huge.jpg", 0, T0));
        Assert.Contains("60000x60000", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Zero_size_png_is_refused()
    {
        var ex = Assert.Throws<ImageFormatException>(() => _decoder.Decode(PngHeaderOnly(0, 10), PixelFormat.Rgb24, "zero.png", 0, T0));
        Assert.Contains("0x10", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Oversized_encoded_data_is_refused()
    {
        var decoder = new ImageDecoder(new ImageDecoderOptions { MaxEncodedBytes = 100 });
        var ex = Assert.Throws<ImageFormatException>(() => decoder.Decode(new byte[101], PixelFormat.Rgb24, "big", 0, T0));
        Assert.Contains("MaxEncodedBytes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_options_name_the_setting()
    {
        var ex = Assert.Throws<ArgumentException>(() => new ImageDecoder(new ImageDecoderOptions { MaxPixels = 0 }));
        Assert.Contains("MaxPixels", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Disposed_frame_refuses_access_and_disposes_twice_safely()
    {
        var frame = Frame.Rent(2, 2, PixelFormat.Gray8, 0, T0, "f");
        frame.Dispose();
        frame.Dispose();
        Assert.Throws<ObjectDisposedException>(() => frame.Pixels.Length);
    }

    /// <summary>A PNG that is only a signature and an IHDR chunk declaring the given size.</summary>
    internal static byte[] PngHeaderOnly(uint width, uint height)
    {
        var png = new byte[33];
        new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }.CopyTo(png, 0);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(8), 13);
        "IHDR"u8.CopyTo(png.AsSpan(12));
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(16), width);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(20), height);
        png[24] = 8; // bit depth
        png[25] = 2; // color type RGB
        return png;
    }
}

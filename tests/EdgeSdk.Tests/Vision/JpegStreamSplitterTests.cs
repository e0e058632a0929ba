using EdgeAI.Vision;

namespace EdgeAI.Sdk.Tests.Vision;

public sealed class JpegStreamSplitterTests
{
    [Fact]
    public async Task Splits_concatenated_jpegs_and_skips_garbage_and_truncated_images()
    {
        var a = Jpeg(40);
        var b = Jpeg(140);
        var c = Jpeg(240);
        byte[] stream = [.. a, .. "garbage between images"u8, .. b.AsSpan(0, b.Length - 10), .. c]; // b cut inside its scan data

        var (images, corrupt) = await SplitAsync(stream);

        Assert.Equal(2, images.Count);
        Assert.Equal(a, images[0]);
        Assert.Equal(c, images[1]);
        Assert.Single(corrupt);
        Assert.Contains("starts again", corrupt[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task End_of_image_bytes_inside_a_segment_do_not_end_the_image()
    {
        // A comment segment (FFFE) holding FF D9: a naive scan for FFD9 would cut the image there.
        var jpeg = Jpeg(90);
        byte[] comment = [0xFF, 0xFE, 0x00, 0x06, 0xFF, 0xD9, 0xFF, 0xD9];
        byte[] tricky = [.. jpeg.AsSpan(0, 2), .. comment, .. jpeg.AsSpan(2)];

        var (images, corrupt) = await SplitAsync([.. tricky, .. tricky]);

        Assert.Equal([tricky, tricky], images);
        Assert.Empty(corrupt);
        using var frame = new ImageDecoder().Decode(images[0], PixelFormat.Gray8, "tricky", 0, default);
        Assert.InRange(frame.Pixels[0], 85, 95);
    }

    [Fact]
    public async Task Image_larger_than_the_limit_is_skipped()
    {
        var big = TestImages.Jpeg(TestImages.Pattern(200, 200, 3), 200, 200, 3, quality: 100);
        var small = Jpeg(10);

        var (images, corrupt) = await SplitAsync([.. big, .. small], maxImage: 4096);

        Assert.Equal([small], images);
        Assert.Contains(corrupt, r => r.Contains("MaxFrameBytes", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Stream_cut_inside_an_image_is_reported()
    {
        var a = Jpeg(40);
        var (images, corrupt) = await SplitAsync([.. a, .. a.AsSpan(0, 100)]);
        Assert.Equal([a], images);
        Assert.Contains("ended 100 bytes into a JPEG", Assert.Single(corrupt), StringComparison.Ordinal);
    }

    private static async Task<(List<byte[]> Images, List<string> Corrupt)> SplitAsync(byte[] data, int maxImage = 1 << 20)
    {
        var corrupt = new List<string>();
        using var splitter = new JpegStreamSplitter(new TrickleStream(data), maxImage, corrupt.Add);
        var images = new List<byte[]>();
        while (await splitter.ReadImageAsync(CancellationToken.None) is { } image)
        {
            images.Add(image.ToArray());
        }

        return (images, corrupt);
    }

    private static byte[] Jpeg(byte level) => TestImages.Jpeg(Enumerable.Repeat(level, 16 * 16).ToArray(), 16, 16, 1);

    /// <summary>Hands out at most 7 bytes per read, so every boundary falls between reads somewhere.</summary>
    private sealed class TrickleStream(byte[] data) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, 7)], cancellationToken);
    }
}

using EdgeAI.Agents.Inspection;
using EdgeAI.TestSupport;
using EdgeAI.Vision;

namespace EdgeAI.Agents.Tests.Inspection;

public sealed class ImageStoreTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly float[] _heatmap = Enumerable.Range(0, 16).Select(i => i / 15f).ToArray();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void The_file_bound_keeps_the_newest_pictures()
    {
        var store = new ImageStore(_dir.File("pics"), maxFiles: 3, maxBytes: 1L << 30);
        using var frame = Gradient(32, 24);
        for (var i = 0; i < 5; i++)
        {
            store.SaveOverlay(ImageStore.Stem(DateTimeOffset.UnixEpoch.AddSeconds(i), i), frame, _heatmap, 4, 4);
        }

        var files = Names(_dir.File("pics"));
        Assert.Equal(["19700101T000002000Z-f00000002-overlay.png", "19700101T000003000Z-f00000003-overlay.png", "19700101T000004000Z-f00000004-overlay.png"], files);
        Assert.Equal(3, store.Count);
    }

    [Fact]
    public void The_byte_bound_holds_after_every_write_and_counts_pictures_left_by_an_earlier_run()
    {
        var folder = _dir.File("pics");
        using var frame = Gradient(32, 24);
        var first = new ImageStore(folder, maxFiles: 100, maxBytes: 1L << 30);
        first.SaveOverlay("old-a", frame, _heatmap, 4, 4);
        first.SaveOverlay("old-b", frame, _heatmap, 4, 4);
        var size = new FileInfo(Path.Combine(folder, "old-a-overlay.png")).Length;
        File.SetLastWriteTimeUtc(Path.Combine(folder, "old-a-overlay.png"), DateTime.UtcNow.AddHours(-2));
        File.SetLastWriteTimeUtc(Path.Combine(folder, "old-b-overlay.png"), DateTime.UtcNow.AddHours(-1));

        // Room for two and a half pictures: the restart keeps both old ones; each new one pushes out the oldest.
        var store = new ImageStore(folder, maxFiles: 100, maxBytes: (size * 5) / 2);
        Assert.Equal(2, store.Count);
        store.SaveOverlay("new-c", frame, _heatmap, 4, 4);
        Assert.Equal(["new-c-overlay.png", "old-b-overlay.png"], Names(folder));
        store.SaveOverlay("new-d", frame, _heatmap, 4, 4);
        Assert.Equal(["new-c-overlay.png", "new-d-overlay.png"], Names(folder));
        Assert.True(Directory.GetFiles(folder).Sum(f => new FileInfo(f).Length) <= (size * 5) / 2);
        Assert.Equal(Directory.GetFiles(folder).Sum(f => new FileInfo(f).Length), store.Bytes);
    }

    [Fact]
    public void A_crop_holds_exactly_the_pixels_inside_the_box()
    {
        var store = new ImageStore(_dir.Path, maxFiles: 10, maxBytes: 1L << 20);
        using var frame = Gradient(40, 30);

        var path = store.SaveCrop("s", 0, "scratch", frame, new PixelBox(8, 16, 20, 10))!;
        Assert.Equal("s-crop0-scratch.png", Path.GetFileName(path));

        // PNG is lossless: decoding gives back the frame's pixels at (8..27, 16..25).
        using var crop = new ImageDecoder().Decode(File.ReadAllBytes(path), PixelFormat.Rgb24, path, 0, default);
        Assert.Equal((20, 10), (crop.Width, crop.Height));
        for (var y = 0; y < 10; y++)
        {
            Assert.True(crop.Pixels.Slice(y * 60, 60).SequenceEqual(frame.Pixels.Slice((((16 + y) * 40) + 8) * 3, 60)), $"row {y}");
        }
    }

    [Fact]
    public void A_box_outside_the_frame_is_clipped_and_an_empty_one_writes_nothing()
    {
        var store = new ImageStore(_dir.Path, maxFiles: 10, maxBytes: 1L << 20);
        using var frame = Gradient(40, 30);

        Assert.Null(store.SaveCrop("s", 0, "hole", frame, default));
        var clipped = store.SaveCrop("s", 1, "hole", frame, new PixelBox(30, 20, 50, 50))!;
        using var crop = new ImageDecoder().Decode(File.ReadAllBytes(clipped), PixelFormat.Rgb24, clipped, 0, default);
        Assert.Equal((10, 10), (crop.Width, crop.Height));
        Assert.Single(Directory.GetFiles(_dir.Path));
    }

    private static string[] Names(string folder) => [.. Directory.GetFiles(folder).Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal)];

    private static Frame Gradient(int width, int height)
    {
        var frame = Frame.Rent(width, height, PixelFormat.Rgb24, 0, DateTimeOffset.UnixEpoch, "gradient");
        var pixels = frame.Pixels;
        for (var i = 0; i < pixels.Length; i++)
        {
            pixels[i] = (byte)((i * 7) + (i / 97));
        }

        return frame;
    }
}

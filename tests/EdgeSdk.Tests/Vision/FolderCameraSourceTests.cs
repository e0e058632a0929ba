using EdgeAI.TestSupport;
using EdgeAI.Vision;

namespace EdgeAI.Sdk.Tests.Vision;

public sealed class FolderCameraSourceTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(true)]
    [InlineData(false)] // the poll fallback alone
    public async Task New_files_are_delivered_once_in_order(bool watcher)
    {
        WriteImage("old.png", 10);
        using var source = new FolderCameraSource(_dir.Path, Fast(o => o.UseFileSystemWatcher = watcher));
        Assert.Equal(watcher, source.IsWatching);

        var read = ReadAsync(source, 2);
        WriteImage("b.png", 20);
        WriteImage("c.jpg", 30, jpeg: true);
        var frames = await read;

        Assert.Equal([_dir.File("b.png"), _dir.File("c.jpg")], frames.Select(f => f.SourceId).Order(StringComparer.Ordinal));
        Assert.Equal([0L, 1L], frames.Select(f => f.SequenceNumber));
        Assert.Equal(20, frames.Single(f => f.SourceId.EndsWith("b.png", StringComparison.Ordinal)).Pixels[0]);
        Assert.InRange(frames.Single(f => f.SourceId.EndsWith("c.jpg", StringComparison.Ordinal)).Pixels[0], 27, 33);
        frames.ForEach(f => f.Dispose());
        Assert.Equal((2L, 0L, 0L), (source.FramesDelivered, source.DroppedFrames, source.CorruptFrames));
    }

    [Fact]
    public async Task Existing_files_are_delivered_when_asked()
    {
        WriteImage("a.png", 1);
        WriteImage("b.png", 2);
        File.WriteAllText(_dir.File("notes.txt"), "not an image");
        using var source = new FolderCameraSource(_dir.Path, Fast(o => o.IncludeExistingFiles = true));

        var frames = await ReadAsync(source, 2);
        Assert.Equal([1, 2], frames.Select(f => (int)f.Pixels[0]));
        frames.ForEach(f => f.Dispose());
    }

    [Fact]
    public async Task Corrupt_and_oversized_files_are_counted_and_skipped()
    {
        using var source = new FolderCameraSource(_dir.Path, Fast(o => o.IncludeExistingFiles = true), decoder: new ImageDecoder(new ImageDecoderOptions { MaxPixels = 1_000_000 }));
        File.WriteAllBytes(_dir.File("1-garbage.jpg"), [0xFF, 0xD8, 0xFF, 0x00, 1, 2, 3]);
        File.WriteAllBytes(_dir.File("2-huge.png"), ImageDecoderTests.PngHeaderOnly(100_000, 100_000));
        File.WriteAllBytes(_dir.File("3-empty.png"), [0]);
        WriteImage("4-good.png", 99);

        var frames = await ReadAsync(source, 1);

        Assert.Equal(99, frames[0].Pixels[0]);
        Assert.Equal(3L, frames[0].SequenceNumber);
        Assert.Equal(3L, source.CorruptFrames);
        frames[0].Dispose();
    }

    [Fact]
    public async Task A_file_still_being_written_is_read_only_when_complete()
    {
        using var source = new FolderCameraSource(_dir.Path, Fast(o => o.SettleTime = TimeSpan.FromSeconds(1)));
        var png = TestImages.Png(TestImages.Pattern(64, 64, 3), 64, 64, 3);
        var read = ReadAsync(source, 1);

        await using (var stream = new FileStream(_dir.File("slow.png"), FileMode.CreateNew))
        {
            await stream.WriteAsync(png.AsMemory(0, png.Length / 2));
            await stream.FlushAsync();
            await Task.Delay(100);
            await stream.WriteAsync(png.AsMemory(png.Length / 2));
        }

        var frames = await read;
        Assert.Equal(TestImages.Pattern(64, 64, 3), frames[0].Pixels.ToArray());
        Assert.Equal(0L, source.CorruptFrames);
        frames[0].Dispose();
    }

    [Fact]
    public async Task A_file_rewritten_after_it_was_read_is_delivered_again()
    {
        using var source = new FolderCameraSource(_dir.Path, Fast(_ => { }));
        var read = ReadAsync(source, 1);
        File.WriteAllBytes(_dir.File("latest.png"), [0x89, (byte)'P', (byte)'N', (byte)'G']);
        using var cts = new CancellationTokenSource(Timeout);
        while (source.CorruptFrames == 0)
        {
            await Task.Delay(20, cts.Token);
        }

        WriteImage("latest.png", 77);
        var frames = await read;

        Assert.Equal(77, frames[0].Pixels[0]);
        Assert.Equal(1L, frames[0].SequenceNumber);
        Assert.Equal(1L, source.CorruptFrames);
        frames[0].Dispose();
    }

    [Fact]
    public async Task Backlog_overflow_drops_the_oldest_files()
    {
        for (var i = 0; i < 5; i++)
        {
            WriteImage($"f{i}.png", (byte)i);
        }

        using var source = new FolderCameraSource(_dir.Path, Fast(o =>
        {
            o.IncludeExistingFiles = true;
            o.MaxBacklog = 2;
        }));

        var frames = await ReadAsync(source, 2);

        Assert.Equal([3, 4], frames.Select(f => (int)f.Pixels[0]));
        Assert.Equal([3L, 4L], frames.Select(f => f.SequenceNumber));
        Assert.Equal(3L, source.DroppedFrames);
        frames.ForEach(f => f.Dispose());
    }

    [Fact]
    public void Missing_folder_and_bad_options_are_refused()
    {
        Assert.Throws<DirectoryNotFoundException>(() => new FolderCameraSource(_dir.File("nope")));
        var ex = Assert.Throws<ArgumentException>(() => new FolderCameraSource(_dir.Path, new FolderCameraOptions { PollInterval = TimeSpan.Zero }));
        Assert.Contains("PollInterval", ex.Message, StringComparison.Ordinal);
    }

    private static FolderCameraOptions Fast(Action<FolderCameraOptions> configure)
    {
        var options = new FolderCameraOptions { PollInterval = TimeSpan.FromMilliseconds(40), SettleTime = TimeSpan.FromMilliseconds(30) };
        configure(options);
        return options;
    }

    private static async Task<List<Frame>> ReadAsync(FolderCameraSource source, int count)
    {
        using var cts = new CancellationTokenSource(Timeout);
        var frames = new List<Frame>();
        while (frames.Count < count)
        {
            frames.Add((await source.ReadFrameAsync(cts.Token).ConfigureAwait(false))!);
        }

        return frames;
    }

    private void WriteImage(string name, byte value, bool jpeg = false)
    {
        var pixels = Enumerable.Repeat(value, 16 * 16 * 3).ToArray();
        File.WriteAllBytes(_dir.File(name), jpeg ? TestImages.Jpeg(pixels, 16, 16, 3) : TestImages.Png(pixels, 16, 16, 3));
    }
}

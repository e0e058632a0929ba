using EdgeAI.TestSupport;
using EdgeAI.Vision;
using Microsoft.Extensions.Time.Testing;

namespace EdgeAI.Sdk.Tests.Vision;

public sealed class SimulatedCameraTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 8, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _dir = new();
    private readonly FakeTimeProvider _clock = new(Start);

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Frames_arrive_on_the_clock_with_sequence_and_timestamp()
    {
        var files = WriteImages(3);
        using var camera = new SimulatedCamera(files, new SimulatedCameraOptions { FramesPerSecond = 10, Loop = false }, _clock);

        using (var first = await camera.ReadFrameAsync())
        {
            Assert.NotNull(first);
            Assert.Equal((0L, Start, files[0]), (first.SequenceNumber, first.Timestamp, first.SourceId));
            Assert.Equal(Pixel(0), first.Pixels[0]);
        }

        var pending = camera.ReadFrameAsync().AsTask();
        _clock.Advance(TimeSpan.FromMilliseconds(99));
        Assert.False(pending.IsCompleted);
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        using (var second = await pending)
        {
            Assert.NotNull(second);
            Assert.Equal((1L, Start.AddMilliseconds(100)), (second.SequenceNumber, second.Timestamp));
            Assert.Equal(Pixel(1), second.Pixels[0]);
        }

        _clock.Advance(TimeSpan.FromMilliseconds(100));
        using (var third = await camera.ReadFrameAsync())
        {
            Assert.Equal(2L, third!.SequenceNumber);
        }

        Assert.Null(await camera.ReadFrameAsync());
        Assert.Equal((3L, 0L, 0L), (camera.FramesDelivered, camera.DroppedFrames, camera.CorruptFrames));
    }

    [Fact]
    public async Task Slow_reader_loses_frames_whose_slot_has_passed()
    {
        using var camera = new SimulatedCamera(WriteImages(2), new SimulatedCameraOptions { FramesPerSecond = 10 }, _clock);
        (await camera.ReadFrameAsync())!.Dispose();

        // 450 ms later slots 1, 2 and 3 are over; slot 4 (400-500 ms) is the frame on the sensor now.
        _clock.Advance(TimeSpan.FromMilliseconds(450));
        using var frame = await camera.ReadFrameAsync();

        Assert.Equal(4L, frame!.SequenceNumber);
        Assert.Equal(Start.AddMilliseconds(400), frame.Timestamp);
        Assert.Equal(Pixel(0), frame.Pixels[0]); // looped: 4 % 2 == 0
        Assert.Equal(3L, camera.DroppedFrames);
    }

    [Fact]
    public async Task Corrupt_file_is_counted_and_skipped()
    {
        var files = WriteImages(3);
        var bytes = File.ReadAllBytes(files[1]);
        File.WriteAllBytes(files[1], bytes.AsSpan(0, bytes.Length / 3).ToArray());
        using var camera = new SimulatedCamera(files, new SimulatedCameraOptions { FramesPerSecond = 5, Loop = false }, _clock);

        (await camera.ReadFrameAsync())!.Dispose();
        var pending = camera.ReadFrameAsync().AsTask();
        _clock.Advance(TimeSpan.FromMilliseconds(200));
        Assert.False(pending.IsCompleted); // slot 1 was the corrupt file; slot 2 is due at 400 ms
        _clock.Advance(TimeSpan.FromMilliseconds(200));
        using var frame = await pending;

        Assert.Equal(2L, frame!.SequenceNumber);
        Assert.Equal(1L, camera.CorruptFrames);
        Assert.Equal(0L, camera.DroppedFrames);
    }

    [Fact]
    public async Task Cancellation_stops_a_wait()
    {
        using var camera = new SimulatedCamera(WriteImages(1), new SimulatedCameraOptions { FramesPerSecond = 1 }, _clock);
        (await camera.ReadFrameAsync())!.Dispose();
        using var cts = new CancellationTokenSource();
        var pending = camera.ReadFrameAsync(cts.Token).AsTask();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
    }

    [Fact]
    public void Invalid_rate_names_the_setting()
    {
        var ex = Assert.Throws<ArgumentException>(() => new SimulatedCamera(WriteImages(1), new SimulatedCameraOptions { FramesPerSecond = 0 }, _clock));
        Assert.Contains("FramesPerSecond", ex.Message, StringComparison.Ordinal);
    }

    private static byte Pixel(int i) => (byte)(40 + (60 * i));

    private string[] WriteImages(int count)
    {
        var files = new string[count];
        for (var i = 0; i < count; i++)
        {
            var pixels = Enumerable.Repeat(Pixel(i), 8 * 6 * 3).ToArray();
            files[i] = _dir.File($"frame{i:D3}.png");
            File.WriteAllBytes(files[i], TestImages.Png(pixels, 8, 6, 3));
        }

        return files;
    }
}

using System.ComponentModel;
using EdgeAI.Vision;

namespace EdgeAI.Sdk.Tests.Vision;

/// <summary>The ffmpeg source with ffmpeg's lavfi test pattern as the camera (Debian package ffmpeg).</summary>
public sealed class FfmpegCameraSourceTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Test_pattern_frames_arrive_in_order_and_the_source_ends_with_ffmpeg()
    {
        AssertFfmpegInstalled();
        using var source = new FfmpegCameraSource(new FfmpegCameraOptions
        {
            InputArguments = ["-f", "lavfi", "-i", "testsrc=size=64x48:rate=25", "-frames:v", "5"],
        });
        using var cts = new CancellationTokenSource(Timeout);

        var frames = new List<Frame>();
        await foreach (var frame in source.ReadAllAsync(cts.Token))
        {
            frames.Add(frame);
        }

        Assert.Equal([0L, 1L, 2L, 3L, 4L], frames.Select(f => f.SequenceNumber));
        Assert.All(frames, f => Assert.Equal((64, 48, PixelFormat.Rgb24), (f.Width, f.Height, f.Format)));

        // testsrc draws colored bars: many distinct levels, not a blank or gray frame.
        Assert.True(frames[0].Pixels.ToArray().Distinct().Count() > 50);
        Assert.Equal((0, 0L), (source.ExitCode, source.CorruptFrames));
        frames.ForEach(f => f.Dispose());
    }

    [Fact]
    public async Task Missing_ffmpeg_executable_throws_on_first_read()
    {
        using var source = new FfmpegCameraSource(new FfmpegCameraOptions
        {
            FfmpegPath = "/nonexistent/ffmpeg",
            InputArguments = ["-i", "x"],
        });
        await Assert.ThrowsAsync<Win32Exception>(async () => await source.ReadFrameAsync());
    }

    [Fact]
    public async Task Failing_input_ends_the_source_with_ffmpegs_reason()
    {
        AssertFfmpegInstalled();
        using var source = new FfmpegCameraSource(new FfmpegCameraOptions { InputArguments = ["-i", "/nonexistent/camera.mkv"] });
        using var cts = new CancellationTokenSource(Timeout);

        Assert.Null(await source.ReadFrameAsync(cts.Token));
        Assert.NotEqual(0, source.ExitCode);
        Assert.Contains("No such file", source.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public void V4l2_options_copy_the_cameras_mjpeg()
    {
        var options = FfmpegCameraOptions.ForV4l2("/dev/video0", 1280, 720, 30);
        Assert.True(options.CopyMjpeg);
        Assert.Equal(["-f", "v4l2", "-input_format", "mjpeg", "-video_size", "1280x720", "-framerate", "30", "-i", "/dev/video0"], options.InputArguments);
        options.Validate();
    }

    private static void AssertFfmpegInstalled()
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        var found = path.Split(':', StringSplitOptions.RemoveEmptyEntries).Any(d => File.Exists(Path.Combine(d, "ffmpeg")));
        Assert.True(found, "ffmpeg is not on PATH; these tests need the Debian package ffmpeg.");
    }
}

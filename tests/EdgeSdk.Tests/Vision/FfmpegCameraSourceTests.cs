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

    [Theory]
    [InlineData(PixelFormat.Rgb24, "rgb24", 64, 48)]
    [InlineData(PixelFormat.Gray8, "gray", 32, 24)]
    public async Task Raw_frames_from_a_yuyv_camera_are_ffmpegs_own_conversion_byte_for_byte(PixelFormat format, string pixelFormat, int width, int height)
    {
        AssertFfmpegInstalled();

        // A YUYV 4:2:2 camera stand-in: the test pattern converted to yuyv422 before it reaches the output.
        string[] input = ["-f", "lavfi", "-i", "testsrc=size=64x48:rate=25,format=yuyv422", "-frames:v", "4"];
        using var source = new FfmpegCameraSource(new FfmpegCameraOptions { InputArguments = input, Format = format, RawWidth = width, RawHeight = height });
        using var cts = new CancellationTokenSource(Timeout);
        var frames = new List<Frame>();
        await foreach (var frame in source.ReadAllAsync(cts.Token))
        {
            frames.Add(frame);
        }

        // Reference: ffmpeg writing the same conversion to a file, cut into frames here without the source's code.
        var file = Path.Combine(Path.GetTempPath(), $"edgeai-raw-{Guid.NewGuid():N}.bin");
        try
        {
            await RunFfmpegAsync([.. input, "-f", "rawvideo", "-pix_fmt", pixelFormat, "-s", $"{width}x{height}", "-y", file], cts.Token);
            var reference = await File.ReadAllBytesAsync(file, cts.Token);
            var frameBytes = width * height * (int)format;
            Assert.Equal(4 * frameBytes, reference.Length);
            Assert.Equal([0L, 1L, 2L, 3L], frames.Select(f => f.SequenceNumber));
            for (var i = 0; i < 4; i++)
            {
                Assert.Equal((width, height, format), (frames[i].Width, frames[i].Height, frames[i].Format));
                Assert.True(reference.AsSpan(i * frameBytes, frameBytes).SequenceEqual(frames[i].Pixels), $"frame {i} differs from ffmpeg's file");
            }

            // testsrc's bars and moving counter: a real picture, and frames that differ.
            Assert.True(frames[0].Pixels.ToArray().Distinct().Count() > 20);
            Assert.False(frames[0].Pixels.SequenceEqual(frames[3].Pixels));
            Assert.Equal((0, 0L), (source.ExitCode, source.CorruptFrames));
        }
        finally
        {
            File.Delete(file);
            frames.ForEach(f => f.Dispose());
        }
    }

    [Fact]
    public async Task A_raw_stream_that_ends_inside_a_frame_counts_it_corrupt_and_keeps_the_whole_ones()
    {
        // A stand-in for ffmpeg that writes two 32x32 RGB frames (3,072 bytes each: 'A's, then 'B's) and half a third.
        var script = WriteScript("head -c 3072 /dev/zero | tr '\\0' A; head -c 3072 /dev/zero | tr '\\0' B; head -c 1000 /dev/zero");
        try
        {
            using var source = new FfmpegCameraSource(new FfmpegCameraOptions { FfmpegPath = script, InputArguments = ["-i", "x"], RawWidth = 32, RawHeight = 32 });
            using var cts = new CancellationTokenSource(Timeout);
            using var first = await source.ReadFrameAsync(cts.Token);
            using var second = await source.ReadFrameAsync(cts.Token);
            Assert.True(first!.Pixels.ToArray().All(b => b == (byte)'A'));
            Assert.True(second!.Pixels.ToArray().All(b => b == (byte)'B'));
            Assert.Null(await source.ReadFrameAsync(cts.Token));
            Assert.Equal((2L, 1L), (source.FramesDelivered, source.CorruptFrames));
            Assert.Null(await source.ReadFrameAsync(cts.Token));
        }
        finally
        {
            File.Delete(script);
        }
    }

    [Fact]
    public async Task A_read_cancelled_inside_a_raw_frame_resumes_at_the_same_byte()
    {
        // Half a frame, a pause, the rest of it, then a second frame: the cancelled read must not shift later frames.
        var script = WriteScript("head -c 1536 /dev/zero | tr '\\0' A; sleep 2; head -c 1536 /dev/zero | tr '\\0' A; head -c 3072 /dev/zero | tr '\\0' B");
        try
        {
            using var source = new FfmpegCameraSource(new FfmpegCameraOptions { FfmpegPath = script, InputArguments = ["-i", "x"], RawWidth = 32, RawHeight = 32 });
            using (var early = new CancellationTokenSource(TimeSpan.FromMilliseconds(500)))
            {
                await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await source.ReadFrameAsync(early.Token));
            }

            using var cts = new CancellationTokenSource(Timeout);
            using var first = await source.ReadFrameAsync(cts.Token);
            using var second = await source.ReadFrameAsync(cts.Token);
            Assert.True(first!.Pixels.ToArray().All(b => b == (byte)'A'));
            Assert.True(second!.Pixels.ToArray().All(b => b == (byte)'B'));
            Assert.Equal((0L, 1L), (first.SequenceNumber, second.SequenceNumber));
            Assert.Null(await source.ReadFrameAsync(cts.Token));
            Assert.Equal(0L, source.CorruptFrames);
        }
        finally
        {
            File.Delete(script);
        }
    }

    [Fact]
    public void V4l2_options_for_a_yuyv_camera_read_raw_frames_of_the_capture_size()
    {
        var options = FfmpegCameraOptions.ForV4l2("/dev/video2", 640, 480, 15, V4l2CaptureFormat.Yuyv);
        Assert.Equal(["-f", "v4l2", "-input_format", "yuyv422", "-video_size", "640x480", "-framerate", "15", "-i", "/dev/video2"], options.InputArguments);
        Assert.Equal((false, true, 640, 480), (options.CopyMjpeg, options.RawFrames, options.RawWidth, options.RawHeight));
        options.Validate();
    }

    [Theory]
    [InlineData(64, 0, false, 8 << 20, "RawWidth x RawHeight is 64x0")]
    [InlineData(64, 48, true, 8 << 20, "CopyMjpeg and raw frames (64x48) exclude each other")]
    [InlineData(3840, 2160, false, 8 << 20, "A raw 3840x2160 Rgb24 frame is 24883200 bytes, over FfmpegCameraOptions.MaxFrameBytes (8388608)")]
    public void Raw_frame_settings_out_of_range_are_named(int width, int height, bool copy, int maxBytes, string expected)
    {
        var options = new FfmpegCameraOptions { InputArguments = ["-i", "x"], RawWidth = width, RawHeight = height, CopyMjpeg = copy, MaxFrameBytes = maxBytes };
        var ex = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    private static string WriteScript(string body)
    {
        var path = Path.Combine(Path.GetTempPath(), $"edgeai-fake-ffmpeg-{Guid.NewGuid():N}.sh");
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("These tests run ffmpeg stand-ins as shell scripts (Linux).");
        }

        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    private static async Task RunFfmpegAsync(string[] arguments, CancellationToken cancellationToken)
    {
        var start = new System.Diagnostics.ProcessStartInfo("ffmpeg") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["-hide_banner", "-loglevel", "error", "-nostdin", .. arguments])
        {
            start.ArgumentList.Add(a);
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        var errors = await process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        Assert.True(process.ExitCode == 0, $"reference ffmpeg failed: {errors}");
    }

    private static void AssertFfmpegInstalled()
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        var found = path.Split(':', StringSplitOptions.RemoveEmptyEntries).Any(d => File.Exists(Path.Combine(d, "ffmpeg")));
        Assert.True(found, "ffmpeg is not on PATH; these tests need the Debian package ffmpeg.");
    }
}

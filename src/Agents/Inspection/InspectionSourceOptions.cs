using EdgeAI.Vision;

namespace EdgeAI.Agents.Inspection;

/// <summary>
/// The inspection agent's frame source (configuration section <c>Inspection:Source</c>). <see cref="Kind"/>
/// selects which of the other settings apply; each maps onto the SDK source's own options.
/// </summary>
internal sealed class InspectionSourceOptions
{
    /// <summary>Which source (default simulated).</summary>
    public InspectionSourceKind Kind { get; set; } = InspectionSourceKind.Simulated;

    /// <summary>
    /// simulated: the folder of pictures to replay (default: the model's <c>demo</c> folder); folder: the
    /// watched folder. Relative paths are taken from the program's folder.
    /// </summary>
    public string? Path { get; set; }

    /// <summary>simulated and v4l2: frames per second (simulated 0.1-1000, v4l2 1-240; default 4).</summary>
    public double FramesPerSecond { get; set; } = 4;

    /// <summary>simulated: start again after the last picture (default true); otherwise the source ends.</summary>
    public bool Loop { get; set; } = true;

    /// <summary>folder: also inspect the pictures already in the folder at start, oldest name first (default false).</summary>
    public bool IncludeExistingFiles { get; set; }

    /// <summary>folder: the rescan interval behind change notifications (default 500 ms).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>folder: how long a file must stay unchanged before it is read (default 50 ms).</summary>
    public TimeSpan SettleTime { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>folder: most files waiting to be read; beyond it the oldest are dropped and counted (default 32).</summary>
    public int MaxBacklog { get; set; } = 32;

    /// <summary>mjpeg: the stream's http or https address.</summary>
    public string? Url { get; set; }

    /// <summary>mjpeg: a stream silent for this long is reopened (default 10 s).</summary>
    public TimeSpan ReadTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>mjpeg: wait before reconnecting after the stream ends or fails (default 2 s).</summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>ffmpeg: what ffmpeg reads, the argument of <c>-i</c> (a file, an <c>rtsp://</c> URL, a lavfi graph).</summary>
    public string? Input { get; set; }

    /// <summary>ffmpeg: the input format, ffmpeg's <c>-f</c> before <c>-i</c> (e.g. <c>lavfi</c>, <c>rtsp</c>); ffmpeg guesses when empty.</summary>
    public string? InputFormat { get; set; }

    /// <summary>ffmpeg: further input options placed before <c>-i</c>, one argument per element (e.g. <c>-re</c>).</summary>
    public string[] InputOptions { get; set; } = [];

    /// <summary>v4l2: the camera device, e.g. <c>/dev/video0</c>.</summary>
    public string? Device { get; set; }

    /// <summary>v4l2: capture width in pixels, 16-8192 (default 640).</summary>
    public int Width { get; set; } = 640;

    /// <summary>v4l2: capture height in pixels, 16-8192 (default 480).</summary>
    public int Height { get; set; } = 480;

    /// <summary>
    /// v4l2: what the camera delivers (default mjpeg, copied as compressed); yuyv for cameras without MJPEG (or at rates they
    /// give only uncompressed): ffmpeg converts and the frames arrive raw at Width x Height, no JPEG in between.
    /// </summary>
    public V4l2CaptureFormat Capture { get; set; } = V4l2CaptureFormat.Mjpeg;

    /// <summary>ffmpeg and v4l2: the ffmpeg executable (default <c>ffmpeg</c> on the PATH).</summary>
    public string FfmpegPath { get; set; } = "ffmpeg";

    /// <summary>The simulated camera's SDK options.</summary>
    public SimulatedCameraOptions ToSimulated() => new() { FramesPerSecond = FramesPerSecond, Loop = Loop };

    /// <summary>The folder source's SDK options.</summary>
    public FolderCameraOptions ToFolder() => new()
    {
        IncludeExistingFiles = IncludeExistingFiles,
        PollInterval = PollInterval,
        SettleTime = SettleTime,
        MaxBacklog = MaxBacklog,
    };

    /// <summary>The MJPEG source's SDK options.</summary>
    public MjpegCameraOptions ToMjpeg() => new() { ReadTimeout = ReadTimeout, ReconnectDelay = ReconnectDelay };

    /// <summary>The ffmpeg source's SDK options, for <see cref="InspectionSourceKind.Ffmpeg"/> or <see cref="InspectionSourceKind.V4l2"/>.</summary>
    public FfmpegCameraOptions ToFfmpeg()
    {
        if (Kind == InspectionSourceKind.V4l2)
        {
            var v4l2 = FfmpegCameraOptions.ForV4l2(Device ?? "", Width, Height, (int)Math.Round(FramesPerSecond), Capture);
            v4l2.FfmpegPath = FfmpegPath;
            return v4l2;
        }

        string[] format = string.IsNullOrWhiteSpace(InputFormat) ? [] : ["-f", InputFormat];
        return new FfmpegCameraOptions { FfmpegPath = FfmpegPath, InputArguments = [.. InputOptions, .. format, "-i", Input ?? ""] };
    }
}

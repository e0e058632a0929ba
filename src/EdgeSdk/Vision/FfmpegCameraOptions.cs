using System.Globalization;

namespace EdgeAI.Vision;

/// <summary>How an <see cref="FfmpegCameraSource"/> starts ffmpeg and reads its output.</summary>
public sealed class FfmpegCameraOptions
{
    /// <summary>The ffmpeg executable (default <c>ffmpeg</c>, found on PATH).</summary>
    public string FfmpegPath { get; set; } = "ffmpeg";

    /// <summary>
    /// ffmpeg arguments that select the input, ending with <c>-i ...</c>; the source appends the MJPEG output
    /// to stdout. See <see cref="ForV4l2"/> for a V4L2 camera.
    /// </summary>
    public IReadOnlyList<string> InputArguments { get; set; } = [];

    /// <summary>
    /// Copy the camera's own MJPEG instead of re-encoding (default false). Only for inputs that already deliver
    /// MJPEG (a USB camera with <c>-input_format mjpeg</c>); saves a JPEG encode per frame on the board.
    /// </summary>
    public bool CopyMjpeg { get; set; }

    /// <summary>
    /// Raw output size (default 0 x 0: ffmpeg writes MJPEG). When both are set, ffmpeg scales to this size and writes
    /// uncompressed pixels in <see cref="Format"/> (<c>-f rawvideo</c>): no JPEG encode and decode per frame, the path for
    /// cameras that deliver raw YUYV (<see cref="ForV4l2"/> with <see cref="V4l2CaptureFormat.Yuyv"/>).
    /// </summary>
    public int RawWidth { get; set; }

    /// <summary>Raw output height, see <see cref="RawWidth"/>.</summary>
    public int RawHeight { get; set; }

    /// <summary>Whether ffmpeg writes raw frames (<see cref="RawWidth"/> and <see cref="RawHeight"/> set) instead of MJPEG.</summary>
    public bool RawFrames => RawWidth > 0 || RawHeight > 0;

    /// <summary>JPEG quality of the re-encode, ffmpeg's <c>-q:v</c> scale: 2 (best) to 31 (default 3).</summary>
    public int Quality { get; set; } = 3;

    /// <summary>Largest JPEG accepted from ffmpeg, in bytes (default 8 MiB).</summary>
    public int MaxFrameBytes { get; set; } = 8 << 20;

    /// <summary>Pixel format of the frames (default RGB).</summary>
    public PixelFormat Format { get; set; } = PixelFormat.Rgb24;

    /// <summary>
    /// Options for a V4L2 camera. <see cref="V4l2CaptureFormat.Mjpeg"/> (default; most USB cameras): the camera's own JPEGs
    /// are copied without re-encoding. <see cref="V4l2CaptureFormat.Yuyv"/> (cameras and capture bridges without MJPEG, and
    /// most cameras at their full rate only uncompressed): ffmpeg converts YUYV 4:2:2 to <see cref="Format"/> and writes raw
    /// frames of the capture size.
    /// </summary>
    /// <param name="device">The device, e.g. <c>/dev/video0</c>.</param>
    /// <param name="width">Capture width in pixels.</param>
    /// <param name="height">Capture height in pixels.</param>
    /// <param name="framesPerSecond">Capture rate.</param>
    /// <param name="capture">What the camera is asked to deliver.</param>
    public static FfmpegCameraOptions ForV4l2(string device, int width, int height, int framesPerSecond, V4l2CaptureFormat capture = V4l2CaptureFormat.Mjpeg) => new()
    {
        InputArguments =
        [
            "-f", "v4l2", "-input_format", capture == V4l2CaptureFormat.Yuyv ? "yuyv422" : "mjpeg",
            "-video_size", string.Create(CultureInfo.InvariantCulture, $"{width}x{height}"),
            "-framerate", framesPerSecond.ToString(CultureInfo.InvariantCulture),
            "-i", device,
        ],
        CopyMjpeg = capture == V4l2CaptureFormat.Mjpeg,
        RawWidth = capture == V4l2CaptureFormat.Yuyv ? width : 0,
        RawHeight = capture == V4l2CaptureFormat.Yuyv ? height : 0,
    };

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentException">A setting is out of range; the message names it.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(FfmpegPath))
        {
            throw new ArgumentException($"{nameof(FfmpegCameraOptions)}.{nameof(FfmpegPath)} is empty; expected the ffmpeg executable.", nameof(FfmpegPath));
        }

        if (InputArguments is null || !InputArguments.Contains("-i"))
        {
            throw new ArgumentException($"{nameof(FfmpegCameraOptions)}.{nameof(InputArguments)} has no '-i'; expected the input selection, e.g. -f v4l2 -i /dev/video0.", nameof(InputArguments));
        }

        if (Quality is < 2 or > 31)
        {
            throw new ArgumentException($"{nameof(FfmpegCameraOptions)}.{nameof(Quality)} is {Quality}; expected 2 to 31.", nameof(Quality));
        }

        if (MaxFrameBytes < 1024 || MaxFrameBytes > (1 << 30))
        {
            throw new ArgumentException($"{nameof(FfmpegCameraOptions)}.{nameof(MaxFrameBytes)} is {MaxFrameBytes}; expected 1 KiB to 1 GiB.", nameof(MaxFrameBytes));
        }

        if (Format is not (PixelFormat.Gray8 or PixelFormat.Rgb24))
        {
            throw new ArgumentException($"{nameof(FfmpegCameraOptions)}.{nameof(Format)} is {Format}; expected Gray8 or Rgb24.", nameof(Format));
        }

        if (RawFrames)
        {
            if (RawWidth is < 1 or > 16384 || RawHeight is < 1 or > 16384)
            {
                throw new ArgumentException($"{nameof(FfmpegCameraOptions)}.{nameof(RawWidth)} x {nameof(RawHeight)} is {RawWidth}x{RawHeight}; expected both 1-16384 for raw frames, or both 0 for MJPEG.", nameof(RawWidth));
            }

            if (CopyMjpeg)
            {
                throw new ArgumentException($"{nameof(FfmpegCameraOptions)}.{nameof(CopyMjpeg)} and raw frames ({RawWidth}x{RawHeight}) exclude each other; expected one output.", nameof(CopyMjpeg));
            }

            var bytes = (long)RawWidth * RawHeight * (int)Format;
            if (bytes > MaxFrameBytes)
            {
                throw new ArgumentException($"A raw {RawWidth}x{RawHeight} {Format} frame is {bytes} bytes, over {nameof(FfmpegCameraOptions)}.{nameof(MaxFrameBytes)} ({MaxFrameBytes}); expected a smaller size or a larger limit.", nameof(MaxFrameBytes));
            }
        }
    }
}

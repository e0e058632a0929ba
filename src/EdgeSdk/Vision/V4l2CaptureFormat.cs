namespace EdgeAI.Vision;

/// <summary>What a V4L2 camera is asked to deliver, see <see cref="FfmpegCameraOptions.ForV4l2"/>.</summary>
public enum V4l2CaptureFormat
{
    /// <summary>Motion JPEG, copied as the camera compressed it (most USB cameras).</summary>
    Mjpeg,

    /// <summary>Uncompressed YUYV 4:2:2, converted by ffmpeg and read as raw frames.</summary>
    Yuyv,
}

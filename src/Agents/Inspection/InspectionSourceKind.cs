namespace EdgeAI.Agents.Inspection;

/// <summary>Where the inspection agent's frames come from (<c>Inspection:Source:Kind</c>).</summary>
internal enum InspectionSourceKind
{
    /// <summary>A folder of pictures replayed at <c>FramesPerSecond</c> (demo, bench, commissioning).</summary>
    Simulated,

    /// <summary>Image files appearing in a watched folder (a camera or PLC writing to a share).</summary>
    Folder,

    /// <summary>An MJPEG-over-HTTP stream (IP cameras, USB-gadget cameras).</summary>
    Mjpeg,

    /// <summary>Anything ffmpeg reads (RTSP, a file, a lavfi test source), given as ffmpeg input arguments.</summary>
    Ffmpeg,

    /// <summary>A V4L2 camera (<c>/dev/videoN</c>) delivering MJPEG, read through ffmpeg.</summary>
    V4l2,
}

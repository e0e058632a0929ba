namespace EdgeAI.Vision;

/// <summary>How a <see cref="SimulatedCamera"/> replays its images.</summary>
public sealed class SimulatedCameraOptions
{
    /// <summary>Frames per second (> 0, at most 1000; default 10).</summary>
    public double FramesPerSecond { get; set; } = 10;

    /// <summary>Start again with the first image after the last (default); otherwise the source ends.</summary>
    public bool Loop { get; set; } = true;

    /// <summary>Pixel format of the frames (default RGB).</summary>
    public PixelFormat Format { get; set; } = PixelFormat.Rgb24;

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentException">A setting is out of range; the message names it.</exception>
    public void Validate()
    {
        if (!(FramesPerSecond > 0 && FramesPerSecond <= 1000))
        {
            throw new ArgumentException($"{nameof(SimulatedCameraOptions)}.{nameof(FramesPerSecond)} is {FramesPerSecond}; expected a rate in (0, 1000].", nameof(FramesPerSecond));
        }

        if (Format is not (PixelFormat.Gray8 or PixelFormat.Rgb24))
        {
            throw new ArgumentException($"{nameof(SimulatedCameraOptions)}.{nameof(Format)} is {Format}; expected Gray8 or Rgb24.", nameof(Format));
        }
    }
}

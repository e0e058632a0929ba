namespace EdgeAI.Inference;

/// <summary>
/// How raw input becomes the model's input tensor. Agents and the calibration tools read this instead
/// of hard-coding it, so the device and the toolchain see the same numbers. Fields that do not apply
/// to a model's kind are left out.
/// </summary>
public sealed class PreprocessingSpec
{
    /// <summary><c>image</c>, <c>audio</c>, <c>sensor</c> or <c>raw</c>.</summary>
    public string Kind { get; set; } = "raw";

    /// <summary>Image width in pixels after resize.</summary>
    public int? Width { get; set; }

    /// <summary>Image height in pixels after resize.</summary>
    public int? Height { get; set; }

    /// <summary>Image channels: 1 (grayscale) or 3 (RGB).</summary>
    public int? Channels { get; set; }

    /// <summary>Per-channel mean subtracted after scaling pixels to [0, 1].</summary>
    public float[]? Mean { get; set; }

    /// <summary>Per-channel standard deviation divided by after subtracting the mean.</summary>
    public float[]? Std { get; set; }

    /// <summary>Audio sample rate in Hz.</summary>
    public int? SampleRate { get; set; }

    /// <summary>Number of mel bins of the log-mel features.</summary>
    public int? MelBins { get; set; }

    /// <summary>Analysis window length in milliseconds (audio frames, sensor windows).</summary>
    public double? WindowMs { get; set; }

    /// <summary>Hop between consecutive windows in milliseconds.</summary>
    public double? HopMs { get; set; }

    /// <summary>Other named values a model's preprocessing needs.</summary>
    public Dictionary<string, double> Parameters { get; set; } = [];
}

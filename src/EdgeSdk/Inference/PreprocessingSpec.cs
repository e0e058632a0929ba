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

    /// <summary>
    /// What an <c>audio</c> model takes: <c>log-mel</c> (the default when absent: log-mel features, see
    /// <c>LogMelOptions</c>) or <c>waveform</c> (the samples themselves at <see cref="SampleRate"/>, mono, in [-1, 1]).
    /// </summary>
    public string? Features { get; set; }

    /// <summary>Log-mel filterbank scale: <c>htk</c> (the default when absent) or <c>slaney</c> (librosa's default).</summary>
    public string? MelScale { get; set; }

    /// <summary>Log-mel filter normalization: <c>none</c> (peak 1, the default when absent) or <c>slaney</c> (equal area, librosa's default).</summary>
    public string? MelNorm { get; set; }

    /// <summary>Log-mel framing: <see langword="true"/> centres frame t on sample t·hop and pads the signal's ends
    /// (librosa's and torchaudio's <c>center=True</c>); absent or <see langword="false"/>: frames only where the whole window fits.</summary>
    public bool? Center { get; set; }

    /// <summary>How centred frames pad the ends: <c>reflect</c> (the default when absent; torchaudio, librosa before 0.10) or <c>constant</c> (zeros; librosa 0.10's default).</summary>
    public string? PadMode { get; set; }

    /// <summary>Other named values a model's preprocessing needs.</summary>
    public Dictionary<string, double> Parameters { get; set; } = [];
}

namespace EdgeAI.Quantization.Calibration;

/// <summary>How a <see cref="CalibrationFolder"/> lays out its samples.</summary>
public enum CalibrationLayout
{
    /// <summary>One file per sample (.npy, picture or .wav), for a model with one graph input.</summary>
    Files,

    /// <summary>One folder per graph input, named after it; files in different folders with the same name without extension form one sample (<c>image/0001.png</c> + <c>audio/0001.wav</c>).</summary>
    InputFolders,

    /// <summary>One folder per sample holding <c>&lt;input&gt;.npy</c> for every graph input.</summary>
    SampleFolders,
}

namespace EdgeAI.Audio;

/// <summary>The values of a manifest's <c>preprocessing.features</c> for <c>kind: audio</c>.</summary>
public static class AudioFeatures
{
    /// <summary>Log-mel features (<see cref="LogMelOptions"/>, <see cref="LogMelExtractor"/>); the default when the field is absent.</summary>
    public const string LogMel = "log-mel";

    /// <summary>The waveform itself: mono samples at the manifest's rate (<see cref="WaveformOptions"/>, <see cref="WaveformWindow"/>).</summary>
    public const string Waveform = "waveform";

    /// <summary>Whether a preprocessing spec describes a waveform input (<c>kind: audio</c>, <c>features: waveform</c>).</summary>
    public static bool IsWaveform(EdgeAI.Inference.PreprocessingSpec? spec) =>
        spec is not null && string.Equals(spec.Kind, "audio", StringComparison.Ordinal) && string.Equals(spec.Features, Waveform, StringComparison.Ordinal);
}

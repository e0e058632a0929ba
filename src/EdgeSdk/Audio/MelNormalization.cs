namespace EdgeAI.Audio;

/// <summary>How the triangular filters of <see cref="LogMelExtractor"/> are scaled.</summary>
public enum MelNormalization
{
    /// <summary>Peak 1 (librosa <c>norm=None</c>, torchaudio's default).</summary>
    None,

    /// <summary>Equal area: each triangle is scaled by 2 / (upper edge − lower edge) in Hz (librosa's default <c>norm="slaney"</c>).</summary>
    Slaney,
}

namespace EdgeAI.Audio;

/// <summary>How frequencies map to mels for the filterbank of <see cref="LogMelExtractor"/>.</summary>
public enum MelScale
{
    /// <summary>HTK: mel(f) = 2595·log10(1 + f/700) (torchaudio's default; librosa's <c>htk=True</c>).</summary>
    Htk,

    /// <summary>Slaney (Auditory Toolbox): linear below 1 kHz, mel(f) = 3f/200, logarithmic above,
    /// mel(f) = 15 + 27·ln(f/1000)/ln(6.4) (librosa's default, <c>htk=False</c>).</summary>
    Slaney,
}

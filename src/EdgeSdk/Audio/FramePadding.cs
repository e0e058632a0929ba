namespace EdgeAI.Audio;

/// <summary>What centred frames (<see cref="LogMelOptions.Center"/>) see beyond the ends of the signal.</summary>
public enum FramePadding
{
    /// <summary>The signal mirrored about its first and last sample, x[−i] = x[i] (numpy <c>pad(mode="reflect")</c>; torchaudio's default).</summary>
    Reflect,

    /// <summary>Zeros (librosa 0.10's default <c>pad_mode="constant"</c>).</summary>
    Constant,
}

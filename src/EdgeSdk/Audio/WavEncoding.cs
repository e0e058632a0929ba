namespace EdgeAI.Audio;

/// <summary>How a WAV file stores its samples.</summary>
public enum WavEncoding
{
    /// <summary>Integer PCM: 8-bit unsigned, or 16/24/32-bit signed little-endian.</summary>
    Pcm,

    /// <summary>IEEE 754 little-endian floating point, 32 or 64 bits.</summary>
    IeeeFloat,
}

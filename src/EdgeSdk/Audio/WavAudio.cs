namespace EdgeAI.Audio;

/// <summary>
/// Audio read from a WAV file by <see cref="WavReader"/>: mono samples in [-1, 1] (channels averaged) at the
/// file's sample rate, and what the file declared.
/// </summary>
public sealed class WavAudio
{
    internal WavAudio(float[] samples, int sampleRate, int channels, int bitsPerSample, WavEncoding encoding)
    {
        Samples = samples;
        SampleRate = sampleRate;
        Channels = channels;
        BitsPerSample = bitsPerSample;
        Encoding = encoding;
    }

    /// <summary>
    /// Mono samples: the mean of the file's channels, integer PCM scaled by 2^(bits − 1) (8-bit unsigned
    /// centred on 128 first), float passed through unchanged.
    /// </summary>
    public float[] Samples { get; }

    /// <summary>Samples per second, as the file declares.</summary>
    public int SampleRate { get; }

    /// <summary>Channels in the file (mixed down to <see cref="Samples"/>).</summary>
    public int Channels { get; }

    /// <summary>Bits per sample in the file: 8, 16, 24, 32 or 64.</summary>
    public int BitsPerSample { get; }

    /// <summary>Integer PCM or IEEE float.</summary>
    public WavEncoding Encoding { get; }

    /// <summary>The length in seconds.</summary>
    public double DurationSeconds => (double)Samples.Length / SampleRate;
}

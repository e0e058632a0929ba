namespace EdgeAI.Audio;

/// <summary>
/// Fills a fixed-length model input with the waveform: audio at any rate is resampled (streaming, by
/// <see cref="AudioResampler"/>) to the model's rate and written from the start of the window; samples after the
/// window is full are dropped, and a window that audio did not fill stays zero (silence) at the end.
/// </summary>
/// <remarks>
/// <para>This is the device's path for waveform models (a clip or a trigger-aligned buffer becomes one input) and the
/// calibration tools feed recordings through it too, so both see the same samples. Because the resampler gives the same
/// samples whatever the block sizes, a whole file appended at once equals the same file appended hop by hop.</para>
/// <para>At equal rates samples are copied unchanged. After the first block of the largest size nothing is allocated.
/// Not thread-safe: one window per stream.</para>
/// </remarks>
public sealed class WaveformWindow
{
    // Resample in blocks of at most this many input samples, so the scratch buffer stays small whatever is appended.
    private const int BlockLength = 4096;

    private readonly float[] _window;
    private readonly AudioResampler? _resampler;
    private readonly float[] _scratch;

    /// <summary>Creates a window.</summary>
    /// <param name="inputRate">The rate of the audio that will be appended, in Hz.</param>
    /// <param name="options">The model's rate (e.g. from <see cref="WaveformOptions.FromSpec"/>).</param>
    /// <param name="length">Samples the model takes (> 0).</param>
    /// <exception cref="ArgumentOutOfRangeException">A rate or the length is out of range.</exception>
    public WaveformWindow(int inputRate, WaveformOptions options, int length)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputRate);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        InputRate = inputRate;
        SampleRate = options.SampleRate;
        _window = new float[length];
        if (inputRate != options.SampleRate)
        {
            _resampler = new AudioResampler(inputRate, options.SampleRate);
            _scratch = new float[Math.Max(_resampler.MaxOutputLength(BlockLength), FlushBound(inputRate, options.SampleRate))];
        }
        else
        {
            _scratch = [];
        }
    }

    /// <summary>The rate of the appended audio in Hz.</summary>
    public int InputRate { get; }

    /// <summary>The model's rate in Hz.</summary>
    public int SampleRate { get; }

    /// <summary>Samples written so far (at most <see cref="Length"/>).</summary>
    public int Filled { get; private set; }

    /// <summary>The window's length in samples.</summary>
    public int Length => _window.Length;

    /// <summary>Whether the window is full (further audio is dropped).</summary>
    public bool IsFull => Filled == _window.Length;

    /// <summary>The window: <see cref="Filled"/> samples, then zeros. Valid until the next call that changes it.</summary>
    public ReadOnlySpan<float> Samples => _window;

    /// <summary>Appends audio at <see cref="InputRate"/>.</summary>
    /// <param name="audio">The next mono samples.</param>
    public void Append(ReadOnlySpan<float> audio)
    {
        if (_resampler is null)
        {
            Write(audio);
            return;
        }

        while (!audio.IsEmpty && !IsFull)
        {
            var block = audio[..Math.Min(BlockLength, audio.Length)];
            Write(_scratch.AsSpan(0, _resampler.Process(block, _scratch)));
            audio = audio[block.Length..];
        }
    }

    /// <summary>Ends the audio: the resampler's last outputs (which needed the samples after the end, taken as zero) are written.</summary>
    public void Complete()
    {
        if (_resampler is not null)
        {
            var tail = _resampler.Flush(_scratch);
            Write(_scratch.AsSpan(0, tail));
        }
    }

    /// <summary>Empties the window for the next clip.</summary>
    public void Reset()
    {
        Array.Clear(_window);
        Filled = 0;
        _resampler?.Reset();
    }

    /// <summary>Feeds a whole recording through a new window: what the model gets for it.</summary>
    /// <param name="audio">The recording.</param>
    /// <param name="options">The model's rate.</param>
    /// <param name="length">Samples the model takes.</param>
    /// <returns>A new array of <paramref name="length"/> samples.</returns>
    public static float[] FromRecording(WavAudio audio, WaveformOptions options, int length)
    {
        ArgumentNullException.ThrowIfNull(audio);
        var window = new WaveformWindow(audio.SampleRate, options, length);
        window.Append(audio.Samples);
        window.Complete();
        return window._window;
    }

    private void Write(ReadOnlySpan<float> samples)
    {
        var count = Math.Min(samples.Length, _window.Length - Filled);
        samples[..count].CopyTo(_window.AsSpan(Filled));
        Filled += count;
    }

    /// <summary>An upper bound of the outputs <see cref="AudioResampler.Flush"/> can still owe: the filter reaches Z/cutoff input samples ahead.</summary>
    private static int FlushBound(int inputRate, int outputRate)
    {
        var ratio = (double)outputRate / inputRate;
        var reach = AudioResampler.ZeroCrossings / (AudioResampler.Rolloff * Math.Min(1.0, ratio));
        return (int)Math.Ceiling((reach + 2) * ratio) + 2;
    }
}

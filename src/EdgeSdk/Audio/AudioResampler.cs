using System.Numerics.Tensors;

namespace EdgeAI.Audio;

/// <summary>
/// Changes the sample rate of mono audio with a polyphase windowed-sinc filter: for output sample n at input
/// time t = n·M/L (L/M the reduced rate ratio), y[n] = Σₖ x[k]·h(t − k) with
/// h(d) = f·sinc(f·d)·blackman(d·f / Z), cutoff f = 0.95·min(1, L/M) of the input Nyquist frequency and
/// Z = <see cref="ZeroCrossings"/> zero crossings on each side. Samples before the start and after the end
/// count as zero; output sample 0 sits at input sample 0 (no delay).
/// </summary>
/// <remarks>
/// <para>Streaming: <see cref="Process"/> takes any number of input samples and writes the outputs whose
/// filter support is complete (the rest follow with later input or <see cref="Flush"/>), so the outputs of
/// many calls equal one call on the whole signal. Each of the L phases has its own precomputed taps.</para>
/// <para>After warm-up (the first call with the largest input block) nothing is allocated. Not thread-safe.</para>
/// </remarks>
public sealed class AudioResampler
{
    /// <summary>Zero crossings of the sinc on each side of the centre (filter length ≈ 2·Z/f input samples).</summary>
    public const int ZeroCrossings = 16;

    /// <summary>The passband edge as a share of the lower Nyquist frequency.</summary>
    public const double Rolloff = 0.95;

    /// <summary>The largest L (output rate / gcd) accepted: one set of taps per phase.</summary>
    public const int MaxPhases = 4096;

    private readonly int _up;
    private readonly int _down;
    private readonly int _half;
    private readonly float[] _taps;
    private float[] _buffer;
    private long _bufferStart;
    private int _count;
    private long _nextOutput;
    private long _inputTotal;

    /// <summary>Creates a resampler.</summary>
    /// <param name="inputRate">Input samples per second (> 0).</param>
    /// <param name="outputRate">Output samples per second (> 0).</param>
    /// <exception cref="ArgumentOutOfRangeException">A rate is not positive, or the reduced ratio needs more than <see cref="MaxPhases"/> phases.</exception>
    public AudioResampler(int inputRate, int outputRate)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputRate);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outputRate);
        var g = Gcd(inputRate, outputRate);
        _up = outputRate / g;
        _down = inputRate / g;
        if (_up > MaxPhases)
        {
            throw new ArgumentOutOfRangeException(nameof(outputRate), $"{inputRate} Hz to {outputRate} Hz reduces to {_up}/{_down}; at most {MaxPhases} phases are supported.");
        }

        InputRate = inputRate;
        OutputRate = outputRate;
        var cutoff = Rolloff * Math.Min(1.0, (double)_up / _down);
        var reach = ZeroCrossings / cutoff;
        _half = (int)Math.Ceiling(reach);
        TapsPerPhase = 2 * _half;

        // Phase p (t = base + p/L) uses x[base − half + 1 + j] for j in [0, 2·half): distance d = p/L + half − 1 − j.
        _taps = new float[_up * TapsPerPhase];
        for (var p = 0; p < _up; p++)
        {
            for (var j = 0; j < TapsPerPhase; j++)
            {
                var d = ((double)p / _up) + _half - 1 - j;
                _taps[(p * TapsPerPhase) + j] = (float)Kernel(d, cutoff, reach);
            }
        }

        _buffer = new float[4096 + TapsPerPhase];
        Reset();
    }

    /// <summary>Input samples per second.</summary>
    public int InputRate { get; }

    /// <summary>Output samples per second.</summary>
    public int OutputRate { get; }

    /// <summary>Filter taps used per output sample.</summary>
    public int TapsPerPhase { get; }

    /// <summary>The number of outputs a whole signal of <paramref name="inputLength"/> samples resamples to: ⌈length·L/M⌉.</summary>
    public long OutputLength(long inputLength) => ((inputLength * _up) + _down - 1) / _down;

    /// <summary>Resamples a whole signal.</summary>
    /// <param name="samples">Mono samples at <paramref name="inputRate"/>.</param>
    /// <param name="inputRate">Their rate in Hz.</param>
    /// <param name="outputRate">The rate wanted in Hz.</param>
    /// <returns><see cref="OutputLength"/> samples (a copy when the rates are equal).</returns>
    public static float[] Resample(ReadOnlySpan<float> samples, int inputRate, int outputRate)
    {
        if (inputRate == outputRate)
        {
            return samples.ToArray();
        }

        var resampler = new AudioResampler(inputRate, outputRate);
        var total = (int)resampler.OutputLength(samples.Length);
        var output = new float[Math.Max(total, resampler.MaxOutputLength(samples.Length))];
        var written = resampler.Process(samples, output);
        written += resampler.Flush(output.AsSpan(written));
        return written == output.Length ? output : output[..written];
    }

    /// <summary>An upper bound of the outputs <see cref="Process"/> writes for <paramref name="inputLength"/> more input samples.</summary>
    public int MaxOutputLength(int inputLength) => checked((int)((((long)inputLength + 1) * _up / _down) + 1));

    /// <summary>Adds input and writes every output sample whose filter support is now complete.</summary>
    /// <param name="input">The next input samples.</param>
    /// <param name="output">Room for at least <see cref="MaxOutputLength"/>(input.Length) samples.</param>
    /// <returns>The number of samples written to <paramref name="output"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="output"/> is too short.</exception>
    public int Process(ReadOnlySpan<float> input, Span<float> output)
    {
        if (output.Length < MaxOutputLength(input.Length))
        {
            throw new ArgumentException($"Output holds {output.Length} samples; expected at least {MaxOutputLength(input.Length)} for {input.Length} input samples.", nameof(output));
        }

        Append(input);
        _inputTotal += input.Length;
        return Emit(output, long.MaxValue);
    }

    /// <summary>Ends the signal: the samples after it count as zero, and the remaining outputs (up to <see cref="OutputLength"/> of all input) are written.</summary>
    /// <param name="output">Room for the remaining outputs (at most about (Z/f + 1)·L/M).</param>
    /// <returns>The number of samples written. The resampler is then <see cref="Reset"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="output"/> is shorter than the outputs still due.</exception>
    public int Flush(Span<float> output)
    {
        var total = OutputLength(_inputTotal);
        if (output.Length < total - _nextOutput)
        {
            throw new ArgumentException($"Output holds {output.Length} samples; {total - _nextOutput} are still due.", nameof(output));
        }

        Span<float> zeros = stackalloc float[64];
        zeros.Clear();
        var written = 0;
        for (var padded = 0; padded < TapsPerPhase && _nextOutput < total; padded += zeros.Length)
        {
            Append(zeros);
            written += Emit(output[written..], total);
        }

        Reset();
        return written;
    }

    /// <summary>Forgets all input: the next sample starts a new signal.</summary>
    public void Reset()
    {
        // Left padding: half − 1 zeros before input sample 0 so output 0 has its full support.
        _bufferStart = -(_half - 1);
        _count = _half - 1;
        Array.Clear(_buffer, 0, _count);
        _nextOutput = 0;
        _inputTotal = 0;
    }

    private void Append(ReadOnlySpan<float> input)
    {
        if (_count + input.Length > _buffer.Length)
        {
            Array.Resize(ref _buffer, _count + input.Length + TapsPerPhase);
        }

        input.CopyTo(_buffer.AsSpan(_count));
        _count += input.Length;
    }

    private int Emit(Span<float> output, long limit)
    {
        var written = 0;
        var end = _bufferStart + _count;
        while (_nextOutput < limit)
        {
            var position = _nextOutput * _down;
            var baseIndex = position / _up;
            var phase = (int)(position % _up);
            var first = baseIndex - _half + 1;
            if (first + TapsPerPhase > end)
            {
                break;
            }

            output[written++] = TensorPrimitives.Dot(
                _buffer.AsSpan((int)(first - _bufferStart), TapsPerPhase),
                _taps.AsSpan(phase * TapsPerPhase, TapsPerPhase));
            _nextOutput++;
        }

        // Drop input no later output needs.
        var keepFrom = (_nextOutput * _down / _up) - _half + 1;
        var drop = (int)Math.Clamp(keepFrom - _bufferStart, 0, _count);
        if (drop > 0)
        {
            _buffer.AsSpan(drop, _count - drop).CopyTo(_buffer);
            _count -= drop;
            _bufferStart += drop;
        }

        return written;
    }

    private static double Kernel(double d, double cutoff, double reach)
    {
        if (Math.Abs(d) >= reach)
        {
            return 0;
        }

        var x = Math.PI * cutoff * d;
        var sinc = x == 0 ? 1.0 : Math.Sin(x) / x;
        var r = d / reach;
        var blackman = 0.42 + (0.5 * Math.Cos(Math.PI * r)) + (0.08 * Math.Cos(2 * Math.PI * r));
        return cutoff * sinc * blackman;
    }

    private static int Gcd(int a, int b)
    {
        while (b != 0)
        {
            (a, b) = (b, a % b);
        }

        return a;
    }
}

using System.Numerics.Tensors;

namespace EdgeAI.Audio;

/// <summary>
/// Log-mel features of mono audio: frames of <see cref="LogMelOptions.WindowLength"/> samples every
/// <see cref="LogMelOptions.HopLength"/> samples (by default no padding: a frame is made only where the whole window
/// fits; with <see cref="LogMelOptions.Center"/> frames are centred and the ends padded), periodic Hann window,
/// zero-padded real FFT of <see cref="LogMelOptions.FftSize"/> points, power spectrum |X|², triangular mel filters on
/// the HTK or Slaney mel scale, natural log of max(energy, <see cref="LogMelOptions.LogFloor"/>).
/// </summary>
/// <remarks>
/// <para>Mel scale: HTK, mel(f) = 2595·log10(1 + f/700), or Slaney (<see cref="MelScale.Slaney"/>).
/// <see cref="LogMelOptions.MelBins"/> + 2 points evenly spaced in mel from the low to the high frequency give each
/// filter's lower edge, peak and upper edge; weights are the triangles (peak 1, or area-normalized by 2/(upper − lower)
/// in Hz with <see cref="MelNormalization.Slaney"/>) evaluated at each FFT bin's frequency k·rate/fft. HTK without
/// normalization is librosa's <c>mel(htk=True, norm=None)</c> and torchaudio's default; Slaney with Slaney
/// normalization is librosa's default <c>mel()</c>. Spectra are not scaled by the window or FFT size.</para>
/// <para>Centred frames follow librosa's <c>stft(center=True)</c>: the signal is padded by fft/2 on each side and frame t
/// is the FFT block starting at t·hop of the padded signal, with the window centred in the block (offset (fft − window)/2).</para>
/// <para>After construction nothing is allocated per frame. Not thread-safe: one extractor per stream.</para>
/// </remarks>
public sealed class LogMelExtractor
{
    private readonly LogMelOptions _options;
    private readonly float[] _window;
    private readonly float[] _frame;
    private readonly float[] _padded;
    private readonly float[] _power;
    private readonly RealFft _fft;
    private readonly int[] _filterStart;
    private readonly int[] _filterLength;
    private readonly float[] _filterWeights;
    private readonly int[] _weightOffset;

    /// <summary>Creates an extractor; the options are copied and validated.</summary>
    /// <param name="options">Rate, framing, FFT size and mel bins, e.g. from <see cref="LogMelOptions.FromSpec"/>.</param>
    /// <exception cref="ArgumentException">An option is out of range; the message names it.</exception>
    public LogMelExtractor(LogMelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options.Copy();

        _window = new float[options.WindowLength];
        for (var n = 0; n < _window.Length; n++)
        {
            _window[n] = (float)(0.5 - (0.5 * Math.Cos(2 * Math.PI * n / _window.Length)));
        }

        _frame = new float[options.WindowLength];
        _padded = new float[options.WindowLength];
        _fft = new RealFft(options.FftSize);
        _power = new float[(options.FftSize / 2) + 1];
        (_filterStart, _filterLength, _weightOffset, _filterWeights) = BuildFilters(_options);
    }

    /// <summary>The options in force (a copy; changing it changes nothing).</summary>
    public LogMelOptions Options => _options;

    /// <summary>Features per frame.</summary>
    public int MelBins => _options.MelBins;

    /// <summary>
    /// The number of frames <paramref name="sampleCount"/> samples give: 0 if shorter than one window, else
    /// 1 + (count − window) / hop; with centred frames 1 + count / hop (0 for no samples).
    /// </summary>
    public int FrameCount(int sampleCount)
    {
        if (_options.Center)
        {
            return sampleCount <= 0 ? 0 : 1 + (sampleCount / _options.HopLength);
        }

        return sampleCount < _options.WindowLength ? 0 : 1 + ((sampleCount - _options.WindowLength) / _options.HopLength);
    }

    /// <summary>Where frame <paramref name="frame"/>'s window starts in the signal (negative for centred frames near the start).</summary>
    public long WindowStart(int frame) =>
        ((long)frame * _options.HopLength) - (_options.Center ? (_options.FftSize / 2) - ((_options.FftSize - _options.WindowLength) / 2) : 0);

    /// <summary>Computes one frame's features.</summary>
    /// <param name="window">Exactly <see cref="LogMelOptions.WindowLength"/> samples.</param>
    /// <param name="destination">Exactly <see cref="MelBins"/> floats.</param>
    /// <exception cref="ArgumentException">A span has the wrong length.</exception>
    public void ComputeFrame(ReadOnlySpan<float> window, Span<float> destination)
    {
        if (window.Length != _window.Length)
        {
            throw new ArgumentException($"The window holds {window.Length} samples; expected {_window.Length}.", nameof(window));
        }

        if (destination.Length != MelBins)
        {
            throw new ArgumentException($"Destination holds {destination.Length} floats; expected {MelBins} (mel bins).", nameof(destination));
        }

        TensorPrimitives.Multiply(window, _window, _frame);
        _fft.Forward(_frame);
        var bins = _power.Length;
        TensorPrimitives.Multiply(_fft.Real[..bins], _fft.Real[..bins], _power);
        TensorPrimitives.MultiplyAdd(_fft.Imaginary[..bins], _fft.Imaginary[..bins], _power, _power);
        for (var m = 0; m < destination.Length; m++)
        {
            var length = _filterLength[m];
            destination[m] = length == 0 ? 0f : TensorPrimitives.Dot(_power.AsSpan(_filterStart[m], length), _filterWeights.AsSpan(_weightOffset[m], length));
        }

        TensorPrimitives.Max(destination, _options.LogFloor, destination);
        TensorPrimitives.Log(destination, destination);
    }

    /// <summary>Computes the features of a whole signal, frame after frame (row-major [frames, melBins]).</summary>
    /// <param name="samples">Mono samples at <see cref="LogMelOptions.SampleRate"/>.</param>
    /// <param name="destination">Exactly <see cref="FrameCount"/>(samples.Length) × <see cref="MelBins"/> floats.</param>
    /// <exception cref="ArgumentException"><paramref name="destination"/> has the wrong length.</exception>
    public void Compute(ReadOnlySpan<float> samples, Span<float> destination)
    {
        var frames = FrameCount(samples.Length);
        if (destination.Length != (long)frames * MelBins)
        {
            throw new ArgumentException($"Destination holds {destination.Length} floats; expected {frames} frames x {MelBins} mel bins = {(long)frames * MelBins}.", nameof(destination));
        }

        var window = _options.WindowLength;
        for (var f = 0; f < frames; f++)
        {
            var start = WindowStart(f);
            var inside = start >= 0 && start + window <= samples.Length;
            ComputeFrame(inside ? samples.Slice((int)start, window) : Pad(samples, start), destination.Slice(f * MelBins, MelBins));
        }
    }

    /// <summary>Computes the features of a whole signal into a new array [frames × melBins] (row-major).</summary>
    /// <param name="samples">Mono samples at <see cref="LogMelOptions.SampleRate"/>.</param>
    public float[] Compute(ReadOnlySpan<float> samples)
    {
        var result = new float[FrameCount(samples.Length) * MelBins];
        Compute(samples, result);
        return result;
    }

    /// <summary>The mel value of a frequency in Hz on <paramref name="scale"/>.</summary>
    internal static double HzToMel(double hz, MelScale scale = MelScale.Htk) => scale switch
    {
        MelScale.Slaney => hz < SlaneyBreakHz ? hz / SlaneyHzPerMel : SlaneyBreakMel + (Math.Log(hz / SlaneyBreakHz) / SlaneyLogStep),
        _ => 2595.0 * Math.Log10(1.0 + (hz / 700.0)),
    };

    /// <summary>The frequency in Hz of a mel value on <paramref name="scale"/>.</summary>
    internal static double MelToHz(double mel, MelScale scale = MelScale.Htk) => scale switch
    {
        MelScale.Slaney => mel < SlaneyBreakMel ? mel * SlaneyHzPerMel : SlaneyBreakHz * Math.Exp(SlaneyLogStep * (mel - SlaneyBreakMel)),
        _ => 700.0 * (Math.Pow(10.0, mel / 2595.0) - 1.0),
    };

    // Slaney's Auditory Toolbox (as librosa.hz_to_mel with htk=False): 200/3 Hz per mel up to 1 kHz (15 mels), then
    // 27 mels per factor 6.4 in frequency.
    private const double SlaneyHzPerMel = 200.0 / 3.0;
    private const double SlaneyBreakHz = 1000.0;
    private const double SlaneyBreakMel = SlaneyBreakHz / SlaneyHzPerMel;
    private static readonly double SlaneyLogStep = Math.Log(6.4) / 27.0;

    /// <summary>The window at <paramref name="start"/> with the samples outside the signal padded, in a reused buffer.</summary>
    private ReadOnlySpan<float> Pad(ReadOnlySpan<float> samples, long start)
    {
        var n = samples.Length;
        for (var i = 0; i < _padded.Length; i++)
        {
            var index = start + i;
            if (index >= 0 && index < n)
            {
                _padded[i] = samples[(int)index];
            }
            else if (_options.Padding == FramePadding.Constant || n == 0)
            {
                _padded[i] = 0f;
            }
            else
            {
                _padded[i] = samples[Reflect(index, n)];
            }
        }

        return _padded;
    }

    /// <summary>numpy's <c>pad(mode="reflect")</c> index: the signal mirrored about its end samples (not repeating them), repeatedly.</summary>
    internal static int Reflect(long index, int length)
    {
        if (length == 1)
        {
            return 0;
        }

        long period = 2L * (length - 1);
        var j = ((index % period) + period) % period;
        return (int)(j < length ? j : period - j);
    }

    private static (int[] Start, int[] Length, int[] Offset, float[] Weights) BuildFilters(LogMelOptions o)
    {
        var bins = (o.FftSize / 2) + 1;
        var lowMel = HzToMel(o.LowFrequency, o.MelScale);
        var highMel = HzToMel(o.EffectiveHighFrequency, o.MelScale);
        var edges = new double[o.MelBins + 2];
        for (var i = 0; i < edges.Length; i++)
        {
            edges[i] = MelToHz(lowMel + ((highMel - lowMel) * i / (o.MelBins + 1)), o.MelScale);
        }

        var start = new int[o.MelBins];
        var length = new int[o.MelBins];
        var offset = new int[o.MelBins];
        var weights = new List<float>();
        for (var m = 0; m < o.MelBins; m++)
        {
            double lo = edges[m], peak = edges[m + 1], hi = edges[m + 2];
            var scale = o.MelNormalization == MelNormalization.Slaney ? 2.0 / (hi - lo) : 1.0;
            offset[m] = weights.Count;
            var first = -1;
            for (var k = 0; k < bins; k++)
            {
                var hz = (double)k * o.SampleRate / o.FftSize;
                var w = Math.Max(0.0, Math.Min((hz - lo) / (peak - lo), (hi - hz) / (hi - peak)));
                if (w > 0)
                {
                    if (first < 0)
                    {
                        first = k;
                    }

                    // Fill zeros between non-zero weights so the slice stays contiguous.
                    while (first + weights.Count - offset[m] < k)
                    {
                        weights.Add(0f);
                    }

                    weights.Add((float)(w * scale));
                }
            }

            start[m] = Math.Max(first, 0);
            length[m] = weights.Count - offset[m];
        }

        return (start, length, offset, [.. weights]);
    }
}

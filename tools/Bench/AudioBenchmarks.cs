using BenchmarkDotNet.Attributes;
using EdgeAI.Audio;

namespace EdgeAI.Bench;

/// <summary>
/// The audio front end per hop: resampling 20 ms of 22,050 Hz audio to 16 kHz, one log-mel frame
/// (25 ms window, FFT 512, 40 HTK mel bins), the same 20 ms into a waveform model's window, and 100 ms of centred
/// Slaney log-mel frames (librosa's conventions; the edge frames are reflect-padded). Allocated bytes must read 0.
/// </summary>
[MemoryDiagnoser]
public class AudioBenchmarks
{
    private readonly float[] _block = new float[441];
    private readonly float[] _window = new float[400];
    private readonly float[] _mel = new float[40];
    private AudioResampler? _resampler;
    private LogMelExtractor? _extractor;
    private float[]? _resampled;
    private WaveformWindow? _waveform;
    private LogMelExtractor? _librosaStyle;
    private float[]? _clip;
    private float[]? _clipFeatures;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        for (var i = 0; i < _block.Length; i++)
        {
            _block[i] = MathF.Sin(i * 0.07f) + ((random.NextSingle() - 0.5f) * 0.1f);
        }

        _block.AsSpan(0, _window.Length).CopyTo(_window);
        _resampler = new AudioResampler(22050, 16000);
        _resampled = new float[_resampler.MaxOutputLength(_block.Length)];
        _extractor = new LogMelExtractor(new LogMelOptions());
        _waveform = new WaveformWindow(22050, new WaveformOptions { SampleRate = 16000 }, 16000);
        _librosaStyle = new LogMelExtractor(new LogMelOptions { MelScale = MelScale.Slaney, MelNormalization = MelNormalization.Slaney, Center = true });
        _clip = new float[1600];
        for (var i = 0; i < _clip.Length; i++)
        {
            _clip[i] = _block[i % _block.Length];
        }

        _clipFeatures = new float[_librosaStyle.FrameCount(_clip.Length) * 40];
    }

    [Benchmark(Description = "resample 20 ms 22.05->16 kHz")]
    public int Resample() => _resampler!.Process(_block, _resampled);

    [Benchmark(Description = "log-mel frame (400 -> FFT 512 -> 40 mel)")]
    public float LogMelFrame()
    {
        _extractor!.ComputeFrame(_window, _mel);
        return _mel[0];
    }

    [Benchmark(Description = "waveform window: 20 ms 22.05->16 kHz appended")]
    public int WaveformAppend()
    {
        if (_waveform!.IsFull)
        {
            _waveform.Reset();
        }

        _waveform.Append(_block);
        return _waveform.Filled;
    }

    [Benchmark(Description = "centred Slaney log-mel, 100 ms clip (11 frames)")]
    public float CentredSlaneyClip()
    {
        _librosaStyle!.Compute(_clip, _clipFeatures);
        return _clipFeatures![0];
    }
}

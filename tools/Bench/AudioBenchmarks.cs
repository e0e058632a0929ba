using BenchmarkDotNet.Attributes;
using EdgeAI.Audio;

namespace EdgeAI.Bench;

/// <summary>
/// The audio front end per hop: resampling 20 ms of 22,050 Hz audio to 16 kHz, and one log-mel frame
/// (25 ms window, FFT 512, 40 HTK mel bins). Allocated bytes must read 0 (no allocation per hop).
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
    }

    [Benchmark(Description = "resample 20 ms 22.05->16 kHz")]
    public int Resample() => _resampler!.Process(_block, _resampled);

    [Benchmark(Description = "log-mel frame (400 -> FFT 512 -> 40 mel)")]
    public float LogMelFrame()
    {
        _extractor!.ComputeFrame(_window, _mel);
        return _mel[0];
    }
}

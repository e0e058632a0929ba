using System.Runtime.InteropServices;
using EdgeAI.Audio;
using EdgeAI.TestSupport;

namespace EdgeAI.Sdk.Tests.Audio;

/// <summary>
/// WAV reading, resampling and log-mel features on real speech (espeak-ng) against independent references:
/// python's own wave module and numpy implementations in audio_reference.py (float64), and sox's resampler.
/// Needs the Debian packages espeak-ng, python3-numpy and sox.
/// </summary>
public sealed class AudioReferenceTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly string _speech;

    public AudioReferenceTests()
    {
        _speech = _dir.File("speech.wav");
        ExternalTool.Speak("Quality check passed. Seven parts rejected at station four.", _speech);
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Wav_reader_matches_pythons_wave_module_on_espeak_speech()
    {
        var audio = WavReader.ReadFile(_speech);
        var expected = Reference("wav", _speech);

        Assert.Equal(22050, audio.SampleRate);
        Assert.True(audio.Samples.Length > 22050, $"expected over a second of speech, got {audio.Samples.Length} samples");
        Assert.Equal(expected.Length, audio.Samples.Length);
        // Same 16-bit values scaled by 1/32768: only float32 rounding may differ (< 2^-24 relative).
        Assert.InRange(MaxAbsDiff(expected, audio.Samples), 0, 1e-7);
    }

    [Theory]
    [InlineData(22050, 16000)]
    [InlineData(22050, 8000)]
    [InlineData(16000, 44100)]
    public void Resampler_matches_the_numpy_windowed_sinc_and_streams_like_one_call(int from, int to)
    {
        var input = from == 22050 ? WavReader.ReadFile(_speech).Samples : AudioResampler.Resample(WavReader.ReadFile(_speech).Samples, 22050, from);
        var actual = AudioResampler.Resample(input, from, to);
        var expected = Reference("resample", WriteF32(input), $"{from}", $"{to}");

        Assert.Equal(expected.Length, actual.Length);
        // float32 taps and sums against float64: worst error a few 1e-6 on signals of peak ~0.5.
        Assert.InRange(MaxAbsDiff(expected, actual), 0, 2e-5);

        // Streaming in odd-sized blocks gives the same samples bit for bit.
        var resampler = new AudioResampler(from, to);
        var streamed = new List<float>();
        var buffer = new float[resampler.MaxOutputLength(997) + resampler.TapsPerPhase];
        for (var offset = 0; offset < input.Length; offset += 997)
        {
            var n = resampler.Process(input.AsSpan(offset, Math.Min(997, input.Length - offset)), buffer);
            streamed.AddRange(buffer.AsSpan(0, n));
        }

        var tail = resampler.Flush(buffer);
        streamed.AddRange(buffer.AsSpan(0, tail));
        Assert.Equal(actual, streamed);
    }

    [Fact]
    public void Resampler_agrees_with_sox_on_speech()
    {
        var ours = AudioResampler.Resample(WavReader.ReadFile(_speech).Samples, 22050, 16000);
        var soxOut = _dir.File("sox16k.wav");
        ExternalTool.Run("sox", [_speech, "-r", "16000", "-b", "32", "-e", "floating-point", soxOut], "sox");
        var sox = WavReader.ReadFile(soxOut).Samples;

        // Different filters (sox: its own very-high-quality band-limited design), same band and phase: the
        // difference is what lies in the 7.6-8 kHz transition band, tens of dB below the speech.
        Assert.InRange(Math.Abs(sox.Length - ours.Length), 0, 1);
        var n = Math.Min(sox.Length, ours.Length);
        double signal = 0, error = 0;
        for (var i = 0; i < n; i++)
        {
            signal += (double)sox[i] * sox[i];
            error += (double)(sox[i] - ours[i]) * (sox[i] - ours[i]);
        }

        var snr = 10 * Math.Log10(signal / error);
        Assert.True(snr > 30, $"SNR of ours against sox is {snr:F1} dB; expected > 30 dB");
    }

    [Fact]
    public void Log_mel_features_match_the_numpy_reference_on_speech()
    {
        var samples = AudioResampler.Resample(WavReader.ReadFile(_speech).Samples, 22050, 16000);
        var options = new LogMelOptions { SampleRate = 16000, WindowLength = 400, HopLength = 160, FftSize = 512, MelBins = 40, LowFrequency = 20, HighFrequency = 7600 };
        var extractor = new LogMelExtractor(options);
        var actual = extractor.Compute(samples);
        var expected = Reference("logmel", WriteF32(samples), "16000", "400", "160", "512", "40", "20", "7600", "1e-10");

        Assert.Equal(extractor.FrameCount(samples.Length) * 40, expected.Length);
        Assert.True(expected.Length > 100 * 40, "expected over 100 frames of speech");
        // float32 FFT against float64: log energies agree to 1e-3 (absolute, natural log) wherever the energy
        // is well above float32 rounding of the spectrum (more than 1e-6 of the frame's loudest bin).
        Assert.InRange(WorstLoudDifference(expected, actual, 40), 0, 1e-3);
        Assert.Contains(actual, v => v > 0);
    }

    [Theory]
    [InlineData(MelScale.Slaney, MelNormalization.Slaney, true, FramePadding.Reflect, 512)]  // librosa's defaults (pad_mode as before 0.10)
    [InlineData(MelScale.Slaney, MelNormalization.Slaney, true, FramePadding.Constant, 512)] // librosa 0.10's defaults
    [InlineData(MelScale.Htk, MelNormalization.None, true, FramePadding.Reflect, 512)]       // torchaudio MelSpectrogram(center=True)
    [InlineData(MelScale.Slaney, MelNormalization.None, false, FramePadding.Reflect, 512)]
    [InlineData(MelScale.Slaney, MelNormalization.Slaney, true, FramePadding.Reflect, 1024)] // window centred inside a longer FFT block
    public void Slaney_and_centred_log_mel_match_the_numpy_librosa_formulas_on_speech(MelScale scale, MelNormalization norm, bool center, FramePadding padding, int fft)
    {
        var samples = AudioResampler.Resample(WavReader.ReadFile(_speech).Samples, 22050, 16000);
        var options = new LogMelOptions { SampleRate = 16000, WindowLength = 400, HopLength = 160, FftSize = fft, MelBins = 64, LowFrequency = 0, HighFrequency = 8000, MelScale = scale, MelNormalization = norm, Center = center, Padding = padding };
        var extractor = new LogMelExtractor(options);
        var actual = extractor.Compute(samples);
        var expected = MelSpec(samples, options);

        Assert.Equal(center ? 1 + (samples.Length / 160) : 1 + ((samples.Length - 400) / 160), actual.Length / 64);
        Assert.Equal(expected.Length, actual.Length);
        // Same tolerance as the HTK check: 1e-3 in ln units where the energy is within 60 dB of the frame's loudest bin.
        Assert.InRange(WorstLoudDifference(expected, actual, 64), 0, 1e-3);
    }

    [Theory]
    [InlineData(FramePadding.Reflect, 37)]   // shorter than the 128-sample half window: numpy reflects again and again
    [InlineData(FramePadding.Reflect, 300)]
    [InlineData(FramePadding.Constant, 37)]
    public void Centred_frames_pad_short_signals_like_numpy(FramePadding padding, int length)
    {
        var samples = new float[length];
        for (var i = 0; i < length; i++)
        {
            samples[i] = MathF.Sin(i * 0.3f) + (0.01f * i);
        }

        var options = new LogMelOptions { SampleRate = 8000, WindowLength = 200, HopLength = 80, FftSize = 256, MelBins = 20, Center = true, Padding = padding, MelScale = MelScale.Slaney, MelNormalization = MelNormalization.Slaney };
        var actual = new LogMelExtractor(options).Compute(samples);
        var expected = MelSpec(samples, options);

        Assert.Equal(1 + (length / 80), actual.Length / 20);
        Assert.InRange(WorstLoudDifference(expected, actual, 20), 0, 1e-3);
    }

    [Fact]
    public void Slaney_mel_scale_gives_librosas_documented_values()
    {
        // librosa.hz_to_mel / mel_to_hz docstring examples (Slaney scale): hz_to_mel(60) = 0.9, mel_to_hz(3) = 200.
        Assert.Equal(0.9, LogMelExtractor.HzToMel(60, MelScale.Slaney), 1e-12);
        Assert.Equal(200.0, LogMelExtractor.MelToHz(3, MelScale.Slaney), 1e-9);
        // Above the 1 kHz break: 15 mels at 1 kHz, 27 more per factor 6.4.
        Assert.Equal(15.0, LogMelExtractor.HzToMel(1000, MelScale.Slaney), 1e-12);
        Assert.Equal(42.0, LogMelExtractor.HzToMel(6400, MelScale.Slaney), 1e-9);
        Assert.Equal(4321.0, LogMelExtractor.MelToHz(LogMelExtractor.HzToMel(4321, MelScale.Slaney), MelScale.Slaney), 1e-9);
    }

    [Fact]
    public void Resampler_refuses_bad_rates_and_short_buffers()
    {
        Assert.Contains("reduces to 16000/44101; at most 4096 phases", Assert.Throws<ArgumentOutOfRangeException>(() => new AudioResampler(44101, 16000)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new AudioResampler(0, 16000));
        var resampler = new AudioResampler(8000, 16000);
        Assert.Throws<ArgumentException>(() => resampler.Process(new float[100], new float[150]));
        Assert.Equal(0, resampler.Process(new float[10], new float[resampler.MaxOutputLength(10)]));
        Assert.Contains("20 are still due", Assert.Throws<ArgumentException>(() => resampler.Flush(new float[5])).Message, StringComparison.Ordinal);
        Assert.Equal(20, resampler.Flush(new float[20]));
        Assert.Equal([1f, 2f], AudioResampler.Resample([1f, 2f], 16000, 16000));
    }

    [Fact]
    public void Silence_gives_the_log_floor_and_short_input_no_frame()
    {
        var extractor = new LogMelExtractor(new LogMelOptions { LogFloor = 1e-6f });
        var features = extractor.Compute(new float[400 + 160]);

        Assert.Equal(2 * 40, features.Length);
        Assert.All(features, v => Assert.Equal(MathF.Log(1e-6f), v, 1e-6f));
        Assert.Empty(extractor.Compute(new float[399]));
        Assert.Throws<ArgumentException>(() => extractor.Compute(new float[800], new float[10]));
    }

    [Fact]
    public void Per_hop_work_allocates_nothing_after_warm_up()
    {
        var extractor = new LogMelExtractor(new LogMelOptions());
        var resampler = new AudioResampler(22050, 16000);
        var input = new float[441];
        for (var i = 0; i < input.Length; i++)
        {
            input[i] = MathF.Sin(i * 0.05f);
        }

        var resampled = new float[resampler.MaxOutputLength(input.Length)];
        var window = new float[400];
        var mel = new float[40];
        resampler.Process(input, resampled);
        extractor.ComputeFrame(window, mel);

        // Centred Slaney features of a whole signal: edge frames are padded in a reused buffer.
        var centred = new LogMelExtractor(new LogMelOptions { Center = true, MelScale = MelScale.Slaney, MelNormalization = MelNormalization.Slaney });
        var clip = new float[1600];
        input.AsSpan(0, 441).CopyTo(clip);
        var clipFeatures = new float[centred.FrameCount(clip.Length) * 40];
        centred.Compute(clip, clipFeatures);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var hop = 0; hop < 200; hop++)
        {
            resampler.Process(input, resampled);
            extractor.ComputeFrame(window, mel);
        }

        centred.Compute(clip, clipFeatures);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(11, clipFeatures.Length / 40);
    }

    [Fact]
    public void Manifest_preprocessing_drives_the_options_and_bad_fields_are_named()
    {
        var spec = new EdgeAI.Inference.PreprocessingSpec { Kind = "audio", SampleRate = 16000, MelBins = 64, WindowMs = 25, HopMs = 10 };
        spec.Parameters[LogMelOptions.HighFrequencyParameter] = 7000;
        var options = LogMelOptions.FromSpec(spec);

        Assert.Equal((16000, 400, 160, 512, 64, 7000.0), (options.SampleRate, options.WindowLength, options.HopLength, options.FftSize, options.MelBins, options.EffectiveHighFrequency));
        spec.Parameters[LogMelOptions.FftSizeParameter] = 300;
        Assert.Contains("fft_size is 300; expected a power of two", Assert.Throws<EdgeAI.Inference.ModelFormatException>(() => LogMelOptions.FromSpec(spec, "m.json")).Message, StringComparison.Ordinal);
        spec.Parameters.Remove(LogMelOptions.FftSizeParameter);
        spec.HopMs = null;
        Assert.Contains("preprocessing.hopMs is missing in manifest 'm.json'", Assert.Throws<EdgeAI.Inference.ModelFormatException>(() => LogMelOptions.FromSpec(spec, "m.json")).Message, StringComparison.Ordinal);
        spec.HopMs = 10;
        spec.Parameters[LogMelOptions.HighFrequencyParameter] = 9000;
        Assert.Contains("expected 0 <= f_min < f_max <= 8000 (Nyquist)", Assert.Throws<EdgeAI.Inference.ModelFormatException>(() => LogMelOptions.FromSpec(spec)).Message, StringComparison.Ordinal);
        Assert.Contains("expected 'audio'", Assert.Throws<EdgeAI.Inference.ModelFormatException>(() => LogMelOptions.FromSpec(new EdgeAI.Inference.PreprocessingSpec { Kind = "image" })).Message, StringComparison.Ordinal);
    }

    private double[] MelSpec(float[] samples, LogMelOptions o) => Reference(
        "melspec", WriteF32(samples), I(o.SampleRate), I(o.WindowLength), I(o.HopLength), I(o.FftSize), I(o.MelBins), I(o.LowFrequency), I(o.EffectiveHighFrequency), "1e-10",
        o.MelScale == MelScale.Htk ? "htk" : "slaney", o.MelNormalization == MelNormalization.None ? "none" : "slaney", o.Center ? "1" : "0", o.Padding == FramePadding.Reflect ? "reflect" : "constant");

    private static string I(double value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The largest |expected − actual| over the bins within 60 dB (10^6 in energy) of their frame's loudest.</summary>
    private static double WorstLoudDifference(double[] expected, float[] actual, int bins)
    {
        var worst = 0.0;
        for (var f = 0; f < expected.Length / bins; f++)
        {
            var loudest = expected.AsSpan(f * bins, bins).ToArray().Max();
            for (var m = 0; m < bins; m++)
            {
                var e = expected[(f * bins) + m];
                if (e > loudest - Math.Log(1e6))
                {
                    worst = Math.Max(worst, Math.Abs(e - actual[(f * bins) + m]));
                }
            }
        }

        return worst;
    }

    private double[] Reference(string command, params string[] args)
    {
        var output = _dir.File($"{command}-{Guid.NewGuid():N}.f64");
        ExternalTool.RunPython("Audio/audio_reference.py", [command, .. args, output]);
        return MemoryMarshal.Cast<byte, double>(File.ReadAllBytes(output)).ToArray();
    }

    private string WriteF32(float[] samples)
    {
        var path = _dir.File($"in-{Guid.NewGuid():N}.f32");
        File.WriteAllBytes(path, MemoryMarshal.AsBytes(samples.AsSpan()).ToArray());
        return path;
    }

    private static double MaxAbsDiff(double[] expected, float[] actual)
    {
        var worst = 0.0;
        for (var i = 0; i < expected.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]));
        }

        return worst;
    }
}

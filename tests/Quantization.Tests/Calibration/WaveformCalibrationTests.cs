using EdgeAI.Audio;
using EdgeAI.Inference;
using EdgeAI.Quantization.Calibration;
using EdgeAI.Quantization.Onnx;
using EdgeAI.TestSupport;

namespace EdgeAI.Quantization.Tests.Calibration;

/// <summary>Calibration of models that take the waveform itself (manifest <c>features: waveform</c>) from folders of real WAV recordings.</summary>
public sealed class WaveformCalibrationTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Recordings_become_exactly_the_samples_the_device_feeds()
    {
        var folder = Directory.CreateDirectory(_dir.File("speech")).FullName;
        ExternalTool.Speak("stop", Path.Combine(folder, "a-short.wav"));
        ExternalTool.Speak("move every rejected part to the red bin", Path.Combine(folder, "b-long.wav"), "en+f3");
        File.WriteAllBytes(Path.Combine(folder, "c-truncated.wav"), File.ReadAllBytes(Path.Combine(folder, "a-short.wav"))[..40]);
        // A well-formed WAV without samples (44-byte header, data size 0): skipped rather than calibrated as silence.
        File.WriteAllBytes(Path.Combine(folder, "d-empty.wav"), File.ReadAllBytes(Path.Combine(folder, "a-short.wav"))[..36].Concat("data"u8.ToArray()).Concat(new byte[4]).ToArray());
        var model = AudioModels.KeywordSpotter(16000).Build();
        var manifest = new ModelManifest { Preprocessing = AudioModels.WaveformSpec() };

        var set = CalibrationFolder.Open(folder, model, manifest);
        var samples = set.ToList();

        Assert.Equal((CalibrationLayout.Files, CalibrationDataFormat.Wav, 4), (set.Layout, set.Format, set.SampleCount));
        Assert.Equal(2, samples.Count);
        Assert.Equal(2, set.Skipped.Count);
        Assert.Contains("c-truncated.wav", set.Skipped[0].Reason, StringComparison.Ordinal);
        Assert.Equal($"WAV '{Path.Combine(folder, "d-empty.wav")}' holds no samples; expected a recording (an empty one would calibrate on silence).", set.Skipped[1].Reason);
        foreach (var (sample, file) in samples.Zip(new[] { "a-short.wav", "b-long.wav" }))
        {
            // The device: a capture loop appending 10 ms blocks at the file's rate to the model's window.
            var audio = WavReader.ReadFile(Path.Combine(folder, file));
            var window = new WaveformWindow(audio.SampleRate, WaveformOptions.FromSpec(manifest.Preprocessing), 16000);
            for (var start = 0; start < audio.Samples.Length; start += audio.SampleRate / 100)
            {
                window.Append(audio.Samples.AsSpan(start, Math.Min(audio.SampleRate / 100, audio.Samples.Length - start)));
            }

            window.Complete();
            var tensor = sample["wave"];
            Assert.Equal([1L, 1, 16000], tensor.Shape);
            Assert.Equal(window.Samples.ToArray(), tensor.ToSingleArray());
        }

        // "stop" is under a second: zeros after it; the long sentence fills the second.
        var resampledShort = AudioResampler.Resample(WavReader.ReadFile(Path.Combine(folder, "a-short.wav")).Samples, 22050, 16000);
        Assert.InRange(resampledShort.Length, 1000, 15999);
        Assert.All(samples[0]["wave"].ToSingleArray()[resampledShort.Length..], v => Assert.Equal(0f, v));
        Assert.Equal(AudioResampler.Resample(WavReader.ReadFile(Path.Combine(folder, "b-long.wav")).Samples, 22050, 16000)[..16000], samples[1]["wave"].ToSingleArray());

        var ranges = Calibrator.Calibrate(model, set);
        var all = samples.SelectMany(s => s["wave"].ToSingleArray()).ToArray();
        Assert.Equal((all.Min(), all.Max()), (ranges.Ranges["wave"].Min, ranges.Ranges["wave"].Max));
    }

    [Fact]
    public void A_symbolic_length_keeps_each_whole_recording_and_bad_shapes_or_specs_are_named()
    {
        var folder = Directory.CreateDirectory(_dir.File("speech")).FullName;
        ExternalTool.Speak("stop", Path.Combine(folder, "a.wav"));
        var symbolic = new OnnxGraphBuilder("m").AddInput("wave", Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float, 1, "N")
            .AddNode("Relu", ["wave"], ["y"]).AddOutput("y", Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float, 1, "N").Build();
        var manifest = new ModelManifest { Preprocessing = AudioModels.WaveformSpec(8000) };

        var tensor = Assert.Single(CalibrationFolder.Open(folder, symbolic, manifest).ToList())["wave"];

        var expected = AudioResampler.Resample(WavReader.ReadFile(Path.Combine(folder, "a.wav")).Samples, 22050, 8000);
        Assert.Equal([1L, expected.Length], tensor.Shape);
        Assert.Equal(expected, tensor.ToSingleArray());

        var batched = new OnnxGraphBuilder("m").AddInput("wave", Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float, 2, 16000)
            .AddNode("Relu", ["wave"], ["y"]).AddOutput("y", Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float, 2, 16000).Build();
        Assert.Contains("Graph input 'wave' is [2, 16000]; waveform calibration data (preprocessing features 'waveform') fills [N], [1, N] or [1, 1, N] inputs.", Assert.Throws<CalibrationDataException>(() => CalibrationFolder.Open(folder, batched, manifest)).Message, StringComparison.Ordinal);
        var noRate = new ModelManifest { Preprocessing = new PreprocessingSpec { Kind = "audio", Features = "waveform" } };
        Assert.Contains("preprocessing.sampleRate is missing in manifest 'x/manifest.json'", Assert.Throws<ModelFormatException>(() => CalibrationFolder.Open(folder, symbolic, noRate, "x/manifest.json")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_raw_audio_model_quantizes_end_to_end_from_a_wav_folder()
    {
        var modelDir = AudioModels.WriteDirectory(
            _dir.File("kws"), AudioModels.KeywordSpotter(16000).ToBytes(), [new TensorSpec { Name = "wave", Dtype = "float32", Shape = [1, 1, 16000] }], AudioModels.WaveformSpec());
        var recordings = Directory.CreateDirectory(_dir.File("recordings")).FullName;
        string[] phrases = ["start", "stop", "left", "right", "open the gate", "close the gate"];
        for (var i = 0; i < phrases.Length; i++)
        {
            ExternalTool.Speak(phrases[i], Path.Combine(recordings, $"{i}.wav"), i % 2 == 0 ? "en" : "en+f3");
        }

        // The int8 model agrees with fp32 on the recordings it was calibrated on (cosine of the 4 logits, floor 0.99).
        AudioModels.QuantizeAndCompare(modelDir, recordings, 6, ["conv1", "conv2", "fc"], "logits");
    }
}

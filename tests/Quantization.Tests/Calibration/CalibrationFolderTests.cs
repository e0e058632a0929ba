using EdgeAI.Audio;
using EdgeAI.Inference;
using EdgeAI.Quantization.Calibration;
using EdgeAI.Quantization.Onnx;
using EdgeAI.TestSupport;
using EdgeAI.Vision;
using Microsoft.ML.OnnxRuntime.Tensors;
using StbImageWriteSharp;

namespace EdgeAI.Quantization.Tests.Calibration;

public sealed class CalibrationFolderTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    internal static PreprocessingSpec ImageSpec => new() { Kind = "image", Width = 24, Height = 16, Channels = 3, Mean = [0.485f, 0.456f, 0.406f], Std = [0.229f, 0.224f, 0.225f] };

    internal static PreprocessingSpec AudioSpec => new() { Kind = "audio", SampleRate = 16000, MelBins = 40, WindowMs = 25, HopMs = 10 };

    [Fact]
    public async Task Picture_tensors_equal_the_device_path_bit_for_bit()
    {
        var folder = Directory.CreateDirectory(_dir.File("pictures")).FullName;
        WritePictures(folder);
        File.WriteAllBytes(Path.Combine(folder, "3-broken.jpg"), [0xFF, 0xD8, 0xFF, 0xE0, 0, 16, 1, 2]);
        File.WriteAllText(Path.Combine(folder, "notes.txt"), "not a picture");

        var set = CalibrationFolder.Open(folder, ["image"], preprocessing: ImageSpec);
        var tensors = set.Select(s => s["image"]).ToList();

        Assert.Equal(CalibrationDataFormat.Image, set.Format);
        Assert.Equal(4, set.SampleCount);
        Assert.Equal(3, tensors.Count);
        var skipped = Assert.Single(set.Skipped);
        Assert.EndsWith("3-broken.jpg", skipped.Path, StringComparison.Ordinal);
        Assert.Contains("3-broken.jpg", skipped.Reason, StringComparison.Ordinal);

        // The device: a folder camera over the same files, the inspection agent's preprocessor from the same manifest block.
        using var camera = new FolderCameraSource(folder, new FolderCameraOptions { IncludeExistingFiles = true, UseFileSystemWatcher = false, PollInterval = TimeSpan.FromMilliseconds(20), SettleTime = TimeSpan.Zero });
        var preprocessor = new ImagePreprocessor(ImagePreprocessorOptions.FromSpec(ImageSpec));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var device = new Dictionary<string, float[]>(StringComparer.Ordinal);
        while (device.Count < 3)
        {
            using var frame = await camera.ReadFrameAsync(timeout.Token);
            Assert.NotNull(frame);
            var tensor = new float[preprocessor.TensorLength];
            preprocessor.Process(frame, tensor);
            device[Path.GetFileName(frame.SourceId)] = tensor;
        }

        string[] names = ["0-a.png", "1-b.jpg", "2-c.bmp"];
        for (var i = 0; i < names.Length; i++)
        {
            Assert.Equal([1L, 3, 16, 24], tensors[i].Shape);
            Assert.Equal(device[names[i]], tensors[i].ToSingleArray());
        }
    }

    [Fact]
    public void Wav_folder_gives_log_mel_tensors_of_the_manifest_and_calibrates_a_model()
    {
        var folder = Directory.CreateDirectory(_dir.File("speech")).FullName;
        ExternalTool.Speak("start the conveyor", Path.Combine(folder, "a.wav"));
        ExternalTool.Speak("stop", Path.Combine(folder, "b.wav"), "en+f3");
        File.WriteAllBytes(Path.Combine(folder, "c-truncated.wav"), File.ReadAllBytes(Path.Combine(folder, "a.wav"))[..30]);

        var set = CalibrationFolder.Open(folder, ["features"], preprocessing: AudioSpec);
        var samples = set.ToList();

        Assert.Equal(CalibrationDataFormat.Wav, set.Format);
        Assert.Equal(2, samples.Count);
        Assert.Contains("c-truncated.wav", Assert.Single(set.Skipped).Reason, StringComparison.Ordinal);

        // The same numbers the SDK computes on the device: WAV -> 16 kHz -> log-mel (25 ms / 10 ms, 40 bins).
        var audio = WavReader.ReadFile(Path.Combine(folder, "a.wav"));
        var extractor = new LogMelExtractor(LogMelOptions.FromSpec(AudioSpec));
        var expected = extractor.Compute(AudioResampler.Resample(audio.Samples, audio.SampleRate, 16000));
        var first = samples[0]["features"];
        Assert.Equal([1L, expected.Length / 40, 40], first.Shape);
        Assert.Equal(expected, first.ToSingleArray());

        // End to end: a model over [1, frames, 40] calibrated from the folder.
        var model = OnnxModel.FromBytes(SpeechModel());
        var result = Calibrator.Calibrate(model, set, new CalibrationOptions { Method = CalibrationMethod.Entropy });
        Assert.Equal(2, result.SampleCount);
        var all = samples.SelectMany(s => s["features"].ToSingleArray()).ToArray();
        Assert.Equal(all.Min(), result.Ranges["features"].Min, 1e-5f);
        Assert.InRange(result.Ranges["features"].Max, all.Min(), all.Max());
        Assert.Equal(0f, result.Ranges["out"].Min);
        Assert.True(result.Ranges["out"].Max > 0);
    }

    [Fact]
    public void Fixed_frame_counts_cut_long_recordings_and_pad_short_ones_with_the_log_floor()
    {
        var folder = Directory.CreateDirectory(_dir.File("fixed")).FullName;
        ExternalTool.Speak("stop", Path.Combine(folder, "short.wav"));
        ExternalTool.Speak("move every rejected part to the red bin before the next shift starts", Path.Combine(folder, "long.wav"));

        var samples = CalibrationFolder.Open(folder, ["features"], CalibrationDataFormat.Wav, AudioSpec, audioFrames: 120).ToList();

        Assert.All(samples, s => Assert.Equal([1L, 120, 40], s["features"].Shape));
        var shortOne = samples[1]["features"].ToSingleArray();
        Assert.Equal(MathF.Log(1e-10f), shortOne[^1]);
        Assert.NotEqual(MathF.Log(1e-10f), samples[0]["features"].ToSingleArray()[^1]);
    }

    [Fact]
    public void Centred_slaney_features_from_the_manifest_are_the_first_frames_of_the_whole_recording()
    {
        var folder = Directory.CreateDirectory(_dir.File("librosa-style")).FullName;
        ExternalTool.Speak("move every rejected part to the red bin", Path.Combine(folder, "a.wav"));
        var spec = new PreprocessingSpec { Kind = "audio", SampleRate = 16000, MelBins = 64, WindowMs = 25, HopMs = 10, MelScale = "slaney", MelNorm = "slaney", Center = true };

        var tensor = Assert.Single(CalibrationFolder.Open(folder, ["features"], CalibrationDataFormat.Wav, spec, audioFrames: 50).ToList())["features"];

        var audio = WavReader.ReadFile(Path.Combine(folder, "a.wav"));
        var extractor = new LogMelExtractor(LogMelOptions.FromSpec(spec));
        Assert.True(extractor.Options is { MelScale: MelScale.Slaney, MelNormalization: MelNormalization.Slaney, Center: true });
        var whole = extractor.Compute(AudioResampler.Resample(audio.Samples, audio.SampleRate, 16000));
        Assert.True(whole.Length > 50 * 64, "expected a recording longer than 50 frames");
        Assert.Equal([1L, 50, 64], tensor.Shape);
        Assert.Equal(whole[..(50 * 64)], tensor.ToSingleArray());
    }

    [Fact]
    public void Empty_mixed_unusable_and_misdescribed_folders_fail_with_one_clear_error()
    {
        var empty = Directory.CreateDirectory(_dir.File("empty")).FullName;
        Assert.Contains("holds no supported file(s)", Assert.Throws<CalibrationDataException>(() => CalibrationFolder.Open(empty, ["x"])).Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", Assert.Throws<CalibrationDataException>(() => CalibrationFolder.Open(_dir.File("nope"), ["x"])).Message, StringComparison.Ordinal);

        var mixed = Directory.CreateDirectory(_dir.File("mixed")).FullName;
        File.WriteAllBytes(Path.Combine(mixed, "a.wav"), [1]);
        File.WriteAllBytes(Path.Combine(mixed, "b.png"), [1]);
        File.WriteAllBytes(Path.Combine(mixed, "c.png"), [1]);
        var mix = Assert.Throws<CalibrationDataException>(() => CalibrationFolder.Open(mixed, ["x"]));
        Assert.Contains("mixes 2 picture(s) (.png/.jpg/.jpeg/.bmp), 1 .wav file(s); expected one kind", mix.Message, StringComparison.Ordinal);

        var broken = CalibrationFolder.Open(mixed, ["x"], CalibrationDataFormat.Image, ImageSpec);
        var none = Assert.Throws<CalibrationDataException>(() => broken.ToList());
        Assert.Contains("has no usable picture(s) (.png/.jpg/.jpeg/.bmp): all 2 were skipped", none.Message, StringComparison.Ordinal);
        Assert.Contains("b.png", none.Message, StringComparison.Ordinal);

        Assert.Contains("preprocessing is missing", Assert.Throws<ModelFormatException>(() => CalibrationFolder.Open(mixed, ["x"], CalibrationDataFormat.Wav)).Message, StringComparison.Ordinal);
        Assert.Contains("preprocessing.kind in the preprocessing spec is 'image'; expected 'audio'", Assert.Throws<ModelFormatException>(() => CalibrationFolder.Open(mixed, ["x"], CalibrationDataFormat.Wav, ImageSpec)).Message, StringComparison.Ordinal);
        Assert.Contains("the model has 2", Assert.Throws<ArgumentException>(() => CalibrationFolder.Open(mixed, ["x", "y"], CalibrationDataFormat.Image, ImageSpec)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Npy_folders_skip_corrupt_files_and_keep_the_several_input_layout()
    {
        var folder = Directory.CreateDirectory(_dir.File("npy")).FullName;
        NpyFile.Write(Path.Combine(folder, "a.npy"), NpyArray.FromSingles([1f, 2f, 3f, 4f], 1, 4));
        File.WriteAllBytes(Path.Combine(folder, "b.npy"), [0x93, (byte)'N', (byte)'U']);

        var set = CalibrationFolder.Open(folder, ["x"]);
        Assert.Equal([1f, 2f, 3f, 4f], Assert.Single(set.ToList())["x"].ToSingleArray());
        Assert.EndsWith("b.npy", Assert.Single(set.Skipped).Path, StringComparison.Ordinal);

        var multi = Directory.CreateDirectory(_dir.File("multi/s0")).FullName;
        NpyFile.Write(Path.Combine(multi, "a.npy"), NpyArray.FromSingles([1f], 1));
        NpyFile.Write(Path.Combine(multi, "b.npy"), NpyArray.FromSingles([2f], 1));
        var pairs = CalibrationFolder.Open(_dir.File("multi"), ["a", "b"]);
        Assert.Equal(CalibrationDataFormat.Npy, pairs.Format);
        Assert.Equal(2f, Assert.Single(pairs.ToList())["b"].ToSingleArray()[0]);
    }

    internal static void WritePictures(string folder)
    {
        var writer = new ImageWriter();
        var pixels = new byte[40 * 30 * 3];
        for (var i = 0; i < pixels.Length; i++)
        {
            pixels[i] = (byte)((i * 7) + (i / 120 * 13));
        }

        using (var s = File.Create(Path.Combine(folder, "0-a.png")))
        {
            writer.WritePng(pixels, 40, 30, ColorComponents.RedGreenBlue, s);
        }

        using (var s = File.Create(Path.Combine(folder, "1-b.jpg")))
        {
            writer.WriteJpg(pixels, 40, 30, ColorComponents.RedGreenBlue, s, 90);
        }

        using (var s = File.Create(Path.Combine(folder, "2-c.bmp")))
        {
            writer.WriteBmp(pixels[..(20 * 30)], 20, 30, ColorComponents.Grey, s);
        }
    }

    /// <summary>features [1, T, 40] -> MatMul W[40, 8] -> Relu -> out [1, T, 8].</summary>
    internal static byte[] SpeechModel()
    {
        var w = new float[40 * 8];
        for (var i = 0; i < w.Length; i++)
        {
            w[i] = MathF.Sin(i * 0.37f) * 0.1f;
        }

        return new OnnxGraphBuilder("speech")
            .AddInput("features", TensorElementType.Float, 1, "T", 40)
            .AddInitializer("W", w, 40, 8)
            .AddNode("MatMul", ["features", "W"], ["mm"], name: "proj")
            .AddNode("Relu", ["mm"], ["out"], name: "relu")
            .AddOutput("out", TensorElementType.Float, 1, "T", 8)
            .ToBytes();
    }
}

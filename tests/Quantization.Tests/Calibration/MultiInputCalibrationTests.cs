using EdgeAI.Audio;
using EdgeAI.Inference;
using EdgeAI.Quantization.Calibration;
using EdgeAI.Quantization.Onnx;
using EdgeAI.TestSupport;
using EdgeAI.Vision;

namespace EdgeAI.Quantization.Tests.Calibration;

/// <summary>Several graph inputs: one folder per input, files paired by name, each input preprocessed by its own manifest entry.</summary>
public sealed class MultiInputCalibrationTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static ModelManifest Manifest => new()
    {
        Inputs =
        [
            new TensorSpec { Name = "image", Dtype = "float32", Shape = [1, 3, 16, 24] },
            new TensorSpec { Name = "wave", Dtype = "float32", Shape = [1, 1, 8000], Preprocessing = AudioModels.WaveformSpec() },
        ],
        Preprocessing = CalibrationFolderTests.ImageSpec,
    };

    [Fact]
    public void Pictures_and_recordings_pair_by_name_and_each_goes_through_its_own_preprocessing()
    {
        var root = WritePairs(_dir.File("pairs"));
        var model = OnnxModel.FromBytes(AudioModels.PictureAndSound());

        var set = CalibrationFolder.Open(root, model, Manifest);
        var samples = set.ToList();

        Assert.Equal(CalibrationLayout.InputFolders, set.Layout);
        Assert.Equal(CalibrationDataFormat.Auto, set.Format);
        Assert.Equal(CalibrationDataFormat.Image, set.InputFormats["image"]);
        Assert.Equal(CalibrationDataFormat.Wav, set.InputFormats["wave"]);
        Assert.Equal(3, samples.Count);
        var preprocessor = new ImagePreprocessor(ImagePreprocessorOptions.FromSpec(CalibrationFolderTests.ImageSpec));
        string[] pictures = ["0-a.png", "1-b.jpg", "2-c.bmp"];
        for (var i = 0; i < 3; i++)
        {
            using var frame = new ImageDecoder().Decode(File.ReadAllBytes(Path.Combine(root, "image", pictures[i])), PixelFormat.Rgb24, pictures[i], 0, DateTimeOffset.UnixEpoch);
            var picture = new float[preprocessor.TensorLength];
            preprocessor.Process(frame, picture);
            Assert.Equal(picture, samples[i]["image"].ToSingleArray());

            var recording = WavReader.ReadFile(Path.Combine(root, "wave", Path.GetFileNameWithoutExtension(pictures[i]) + ".wav"));
            Assert.Equal(WaveformWindow.FromRecording(recording, new WaveformOptions { SampleRate = 16000 }, 8000), samples[i]["wave"].ToSingleArray());
            Assert.Equal([1L, 1, 8000], samples[i]["wave"].Shape);
        }

        var ranges = Calibrator.Calibrate(model, set);
        Assert.Equal(3, ranges.SampleCount);
        foreach (var input in new[] { "image", "wave" })
        {
            var values = samples.SelectMany(s => s[input].ToSingleArray()).ToArray();
            Assert.Equal((values.Min(), values.Max()), (ranges.Ranges[input].Min, ranges.Ranges[input].Max));
        }
    }

    [Fact]
    public void A_two_input_model_quantizes_end_to_end_with_per_input_manifest_entries()
    {
        var manifest = Manifest;
        var modelDir = AudioModels.WriteDirectory(_dir.File("model"), AudioModels.PictureAndSound(), manifest.Inputs, manifest.Preprocessing, output: "y");
        var root = WritePairs(_dir.File("pairs"));

        AudioModels.QuantizeAndCompare(modelDir, root, 3, ["image_conv", "sound_conv", "fc"], "y");
    }

    [Fact]
    public void Missing_extra_unpaired_and_doubled_files_are_one_clear_error()
    {
        var model = OnnxModel.FromBytes(AudioModels.PictureAndSound());
        string Error(string root) => Assert.Throws<CalibrationDataException>(() => CalibrationFolder.Open(root, model, Manifest)).Message;

        var noWave = WritePairs(_dir.File("no-wave"));
        Directory.Delete(Path.Combine(noWave, "wave"), recursive: true);
        Assert.Equal($"Calibration directory '{noWave}' has no folder for graph input(s) 'wave'; expected one folder per graph input (image/, wave/), files paired by name.", Error(noWave));

        var extra = WritePairs(_dir.File("extra"));
        Directory.CreateDirectory(Path.Combine(extra, "labels"));
        Assert.Contains("has folder(s) 'labels' that name no graph input", Error(extra), StringComparison.Ordinal);

        var unpaired = WritePairs(_dir.File("unpaired"));
        File.Delete(Path.Combine(unpaired, "wave", "1-b.wav"));
        Assert.Equal(
            $"Calibration sample '1-b' has '{Path.Combine(unpaired, "image", "1-b.jpg")}' but no file in '{Path.Combine(unpaired, "wave")}' for graph input 'wave'; expected one folder per graph input (image/, wave/), files paired by name (1-b.*).",
            Error(unpaired));

        var doubled = WritePairs(_dir.File("doubled"));
        File.Copy(Path.Combine(doubled, "image", "0-a.png"), Path.Combine(doubled, "image", "0-a.bmp"));
        Assert.Contains("holds '0-a.bmp' and '0-a.png' for one sample name; expected one file per sample name", Error(doubled), StringComparison.Ordinal);

        var mixed = WritePairs(_dir.File("mixed"));
        File.Copy(Path.Combine(mixed, "wave", "0-a.wav"), Path.Combine(mixed, "image", "9.wav"));
        Assert.Contains($"Calibration directory '{Path.Combine(mixed, "image")}' mixes", Error(mixed), StringComparison.Ordinal);

        var oneFolder = Directory.CreateDirectory(_dir.File("flat")).FullName;
        CalibrationFolderTests.WritePictures(oneFolder);
        Assert.Contains("Use one folder per input named after it (image/, wave/), files paired by name", Assert.Throws<ArgumentException>(() => CalibrationFolder.Open(oneFolder, model, Manifest)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Tensors_the_input_does_not_take_are_skipped_with_their_sample_naming_the_file()
    {
        var model = OnnxModel.FromBytes(AudioModels.PictureAndSound());
        var root = _dir.File("npy");
        foreach (var (stem, waveLength) in new[] { ("a", 8000), ("b", 4000), ("c", 8000) })
        {
            Directory.CreateDirectory(Path.Combine(root, "image"));
            Directory.CreateDirectory(Path.Combine(root, "wave"));
            NpyFile.Write(Path.Combine(root, "image", stem + ".npy"), NpyArray.FromSingles(new float[3 * 16 * 24], 1, 3, 16, 24));
            NpyFile.Write(Path.Combine(root, "wave", stem + ".npy"), NpyArray.FromSingles(new float[waveLength], 1, 1, waveLength));
        }

        File.WriteAllBytes(Path.Combine(root, "image", "c.npy"), [0x93, (byte)'N', (byte)'U', (byte)'M']);
        var set = CalibrationFolder.Open(root, model);

        Assert.Single(set.ToList());
        Assert.Equal(2, set.Skipped.Count);
        Assert.Equal($"'{Path.Combine(root, "wave", "b.npy")}' gives a Float tensor [1, 1, 4000]; graph input 'wave' takes Float [1, 1, 8000].", set.Skipped[0].Reason);
        Assert.EndsWith(Path.Combine("image", "c.npy"), set.Skipped[1].Path, StringComparison.Ordinal);

        File.Delete(Path.Combine(root, "wave", "a.npy"));
        File.Delete(Path.Combine(root, "image", "a.npy"));
        var none = Assert.Throws<CalibrationDataException>(() => CalibrationFolder.Open(root, model).ToList());
        Assert.StartsWith($"Calibration directory '{root}' has no usable sample: all 2 were skipped", none.Message, StringComparison.Ordinal);
    }

    /// <summary>root/image/{0-a.png, 1-b.jpg, 2-c.bmp} and root/wave/{0-a, 1-b, 2-c}.wav (espeak speech).</summary>
    private static string WritePairs(string root)
    {
        var pictures = Directory.CreateDirectory(Path.Combine(root, "image")).FullName;
        var sounds = Directory.CreateDirectory(Path.Combine(root, "wave")).FullName;
        CalibrationFolderTests.WritePictures(pictures);
        ExternalTool.Speak("left", Path.Combine(sounds, "0-a.wav"));
        ExternalTool.Speak("right", Path.Combine(sounds, "1-b.wav"), "en+f3");
        ExternalTool.Speak("centre", Path.Combine(sounds, "2-c.wav"), "en+m3");
        return root;
    }
}

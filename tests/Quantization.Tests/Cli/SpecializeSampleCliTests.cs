using EdgeAI.Inference;
using EdgeAI.QuantCli;
using EdgeAI.Quantization.Calibration;
using EdgeAI.Quantization.Onnx;
using EdgeAI.Quantization.Tests.Calibration;
using EdgeAI.TestSupport;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeAI.Quantization.Tests.Cli;

/// <summary><c>--specialize-sample</c> with one picture, WAV or .npy file read through the calibration readers, and the new calibration failure modes as one CLI line.</summary>
public sealed class SpecializeSampleCliTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(1.0, "times2")]  // 1 s at 22,050 Hz is 16,000 samples at 16 kHz: the then-branch
    [InlineData(0.5, "times3")]  // 8,000 samples: the else-branch
    public void A_wav_sample_fixes_the_waveform_length_and_selects_the_If_branch(double seconds, string branch)
    {
        var modelDir = AudioModels.WriteDirectory(
            _dir.File("model"), LengthSwitchModel().ToBytes(), [new TensorSpec { Name = "wave", Dtype = "float32", Shape = [1, -1] }], AudioModels.WaveformSpec(), output: "y");
        var tone = _dir.File("tone.wav");
        ExternalTool.Run("sox", ["-n", "-r", "22050", "-b", "16", tone, "synth", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture), "sine", "440"], "sox");
        var (exit, stdout, stderr) = CliRunner.Run("inspect", modelDir, "--specialize-sample", tone);

        Assert.True(exit == 0, stderr);
        Assert.Contains("Inlined the selected branch of 'select' (If)", stdout, StringComparison.Ordinal);
        var manifestPath = Path.Combine(modelDir, ModelManifest.FileName);
        var (specialized, changes) = FixedInputs.Apply(OnnxModel.Load(Path.Combine(modelDir, "model.fp32.onnx")), null, null, tone, (ModelManifestReader.Read(manifestPath), manifestPath));
        Assert.Equal(["Inlined the selected branch of 'select' (If)."], changes);
        Assert.DoesNotContain(specialized.Graph.Nodes, n => n.OpType == "If");
        Assert.Contains(specialized.Graph.Nodes, n => n.Name == branch);
    }

    [Fact]
    public void Picture_and_npy_samples_read_like_calibration_files_and_bad_ones_are_one_line()
    {
        var model = CliModels.Cnn();
        var manifest = new ModelManifest { Preprocessing = new PreprocessingSpec { Kind = "image", Width = 8, Height = 8, Channels = 1 } };
        var pictures = Directory.CreateDirectory(_dir.File("pictures")).FullName;
        CalibrationFolderTests.WritePictures(pictures);
        var picture = Path.Combine(pictures, "0-a.png");

        var fromFile = CalibrationFolder.ReadSample(picture, model, manifest);
        var fromFolder = CalibrationFolder.Open(pictures, model, manifest).First();
        Assert.Equal(fromFolder["x"].ToSingleArray(), fromFile["x"].ToSingleArray());
        Assert.Equal([1L, 1, 8, 8], fromFile["x"].Shape);

        var npy = _dir.File("x.npy");
        NpyFile.Write(npy, NpyArray.FromSingles(new float[64], 1, 1, 8, 8));
        Assert.Equal(64, CalibrationFolder.ReadSample(npy, model)["x"].ElementCount);
        NpyFile.Write(npy, NpyArray.FromSingles(new float[16], 1, 1, 4, 4));
        Assert.Contains("graph input 'x' takes Float [?, 1, 8, 8]", Assert.Throws<CalibrationDataException>(() => CalibrationFolder.ReadSample(npy, model)).Message, StringComparison.Ordinal);

        var modelDir = CliModels.WriteModelDirectory(_dir.File("cnn"));
        var notes = _dir.File("notes.txt");
        File.WriteAllText(notes, "hello");
        AssertOneLine(CliRunner.Run("inspect", modelDir, "--specialize-sample", notes), $"Sample '{notes}' is not a supported file(s) (.npy, .png/.jpg/.jpeg/.bmp or .wav");
        AssertOneLine(CliRunner.Run("inspect", modelDir, "--specialize-sample", _dir.File("nothing.png")), "does not exist; expected a .npy, picture or .wav file, or a calibration directory");
        AssertOneLine(CliRunner.Run("inspect", modelDir, "--specialize-sample", picture), "preprocessing is missing");
        var (exit, stdout, stderr) = CliRunner.Run("inspect", modelDir, "--specialize-sample", npy, "--json");
        Assert.Equal(2, exit);
        Assert.Contains("gives a Float tensor [1, 1, 4, 4]", stderr, StringComparison.Ordinal);
        Assert.Empty(stdout);
    }

    [Fact]
    public void New_calibration_failures_are_one_line_with_exit_code_2()
    {
        var two = AudioModels.WriteDirectory(
            _dir.File("two"),
            AudioModels.PictureAndSound(),
            [new TensorSpec { Name = "image", Dtype = "float32", Shape = [1, 3, 16, 24] }, new TensorSpec { Name = "wave", Dtype = "float32", Shape = [1, 1, 8000], Preprocessing = AudioModels.WaveformSpec() }],
            CalibrationFolderTests.ImageSpec,
            output: "y");
        var pairs = _dir.File("pairs");
        Directory.CreateDirectory(Path.Combine(pairs, "image"));
        Directory.CreateDirectory(Path.Combine(pairs, "wave"));
        CalibrationFolderTests.WritePictures(Path.Combine(pairs, "image"));
        ExternalTool.Speak("left", Path.Combine(pairs, "wave", "0-a.wav"));
        var output = Path.Combine(two, "q.onnx");

        AssertOneLine(CliRunner.Run("quantize", "static", two, "--calibration-data", pairs, "--out", output), "Calibration sample '1-b' has");
        AssertOneLine(CliRunner.Run("quantize", "static", two, "--calibration-data", Path.Combine(pairs, "image"), "--out", output), "Use one folder per input named after it");

        var wrongRate = AudioModels.WriteDirectory(
            _dir.File("kws"), AudioModels.KeywordSpotter(16000).ToBytes(), [new TensorSpec { Name = "wave", Dtype = "float32", Shape = [1, 1, 16000] }], new PreprocessingSpec { Kind = "audio", Features = "waveform", SampleRate = 16000, MelBins = 40 });
        AssertOneLine(CliRunner.Run("quantize", "static", wrongRate, "--calibration-data", Path.Combine(pairs, "wave"), "--out", Path.Combine(wrongRate, "q.onnx")), "preprocessing.melBins in manifest");
    }

    /// <summary>wave [1, N] -> If (N == 16000) then y = wave·2 else y = wave·3, the condition computed from the input's shape.</summary>
    private static OnnxModel LengthSwitchModel()
    {
        OnnxModel Branch(string name, float factor) => new OnnxGraphBuilder(name)
            .AddInput("wave", TensorElementType.Float, 1, "N")
            .AddInitializer($"{name}_k", [factor], 1)
            .AddNode("Mul", ["wave", $"{name}_k"], [$"{name}_y"], name: name)
            .AddOutput($"{name}_y", TensorElementType.Float, 1, "N")
            .Build();

        var model = new OnnxGraphBuilder("length-switch")
            .AddInput("wave", TensorElementType.Float, 1, "N")
            .AddInitializer("k1", [1L])
            .AddInitializer("k16000", [16000L])
            .AddNode("Shape", ["wave"], ["shape"], name: "shape")
            .AddNode("Gather", ["shape", "k1"], ["length"], name: "length")
            .AddNode("Equal", ["length", "k16000"], ["is1s"], name: "is1s")
            .AddNode("If", ["is1s"], ["y"], name: "select")
            .AddOutput("y", TensorElementType.Float, 1, "N")
            .Build();
        var node = model.Graph.Nodes.Single(n => n.OpType == "If");
        foreach (var (attribute, branch) in new[] { ("then_branch", Branch("times2", 2f)), ("else_branch", Branch("times3", 3f)) })
        {
            var g = branch.Graph.Proto.Clone();
            g.Input.Clear();
            node.Proto.Attribute.Add(new EdgeAI.Quantization.Onnx.Proto.AttributeProto { Name = attribute, Type = EdgeAI.Quantization.Onnx.Proto.AttributeProto.Types.AttributeType.Graph, G = g });
        }

        model.Validate();
        return model;
    }

    private static void AssertOneLine((int Exit, string Out, string Err) run, string expected)
    {
        Assert.Equal(2, run.Exit);
        Assert.Single(run.Err.Trim().Split('\n'));
        Assert.StartsWith("edgeai-quant: ", run.Err, StringComparison.Ordinal);
        Assert.Contains(expected, run.Err, StringComparison.Ordinal);
    }
}

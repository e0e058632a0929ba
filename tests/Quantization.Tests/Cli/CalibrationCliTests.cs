using System.Security.Cryptography;
using System.Text.Json;
using EdgeAI.Inference;
using EdgeAI.QuantCli;
using EdgeAI.Quantization.Tests.Calibration;
using EdgeAI.TestSupport;

namespace EdgeAI.Quantization.Tests.Cli;

/// <summary><c>quantize static --calibration-data</c> with picture and WAV folders, the methods, progress and errors, through the CLI entry point.</summary>
public sealed class CalibrationCliTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Picture_folder_with_a_broken_file_calibrates_by_entropy_reports_the_skip_and_shows_progress()
    {
        var modelDir = CliModels.WriteModelDirectory(_dir.File("cnn"));
        var manifestPath = Path.Combine(modelDir, ModelManifest.FileName);
        var manifest = ModelManifestReader.Read(manifestPath);
        manifest.Preprocessing = new PreprocessingSpec { Kind = "image", Width = 8, Height = 8, Channels = 1 };
        ModelManifestReader.Write(manifest, manifestPath);
        var pictures = Directory.CreateDirectory(_dir.File("pictures")).FullName;
        CalibrationFolderTests.WritePictures(pictures);
        File.WriteAllBytes(Path.Combine(pictures, "9-cut.png"), File.ReadAllBytes(Path.Combine(pictures, "0-a.png"))[..40]);

        var (exit, stdout, stderr) = CliRunner.Run("quantize", "static", modelDir, "--calibration-data", pictures, "--method", "entropy", "--out", Path.Combine(modelDir, "model.int8.onnx"), "--json");

        Assert.True(exit == 0, stderr);
        var report = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal("entropy", report.GetProperty("method").GetString());
        Assert.Equal(3, report.GetProperty("calibrationSamples").GetInt32());
        Assert.EndsWith("9-cut.png", Assert.Single(report.GetProperty("skippedCalibrationFiles").EnumerateArray()).GetString(), StringComparison.Ordinal);
        Assert.Equal(5, report.GetProperty("quantizedNodes").GetArrayLength()); // conv1, conv2, flatten (int8 pass-through), fc, head
        Assert.True(stderr.Contains("calibration: 3/4 samples", StringComparison.Ordinal), stderr);
        Assert.True(stderr.Contains("edgeai-quant: skipped calibration file: Png '", StringComparison.Ordinal), stderr);
        Assert.Contains("9-cut.png", stderr, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(modelDir, "model.int8.onnx")));
    }

    [Fact]
    public void Wav_folder_drives_an_audio_model_through_its_manifest()
    {
        var modelDir = WriteSpeechModelDirectory(_dir.File("speech"));
        var recordings = Directory.CreateDirectory(_dir.File("recordings")).FullName;
        ExternalTool.Speak("open the gate", Path.Combine(recordings, "a.wav"));
        ExternalTool.Speak("close the gate", Path.Combine(recordings, "b.wav"), "en+m3");

        var (exit, stdout, stderr) = CliRunner.Run(
            "quantize", "static", modelDir, "--calibration-data", recordings, "--calibration-format", "wav", "--method", "percentile", "--percentile", "99.9",
            "--out", Path.Combine(modelDir, "model.int8.onnx"));

        Assert.True(exit == 0, stderr);
        Assert.Contains("calibration: percentile, 2 sample(s)", stdout, StringComparison.Ordinal);
        Assert.Contains("quantized 1 node(s): 'proj' (MatMul)", stdout, StringComparison.Ordinal);
        Assert.Equal(["calibration: 1/2 samples", "calibration: 2/2 samples"], stderr.Trim().Split('\n').Select(l => l.Trim()));
        Assert.Contains(ModelManifestReader.Read(Path.Combine(modelDir, ModelManifest.FileName)).Variants, v => v.Name == "int8");
    }

    [Fact]
    public void Bad_calibration_data_is_one_clear_line_with_exit_code_2()
    {
        var modelDir = WriteSpeechModelDirectory(_dir.File("speech"));
        var empty = Directory.CreateDirectory(_dir.File("empty")).FullName;
        var broken = Directory.CreateDirectory(_dir.File("broken")).FullName;
        File.WriteAllBytes(Path.Combine(broken, "a.wav"), "RIFF\0\0\0\0WAVEfmt "u8.ToArray());
        var output = Path.Combine(modelDir, "q.onnx");

        AssertOneLine(CliRunner.Run("quantize", "static", modelDir, "--calibration-data", empty, "--out", output), "holds no supported file(s)");
        AssertOneLine(CliRunner.Run("quantize", "static", modelDir, "--calibration-data", _dir.File("nowhere"), "--out", output), "does not exist");
        var (exit, _, stderr) = CliRunner.Run("quantize", "static", modelDir, "--calibration-data", broken, "--out", output);
        Assert.Equal(2, exit);
        Assert.EndsWith($"edgeai-quant: Calibration directory '{broken}' has no usable .wav file(s): all 1 were skipped (WAV '{Path.Combine(broken, "a.wav")}' has no 'fmt ' chunk; expected 'fmt ' then 'data').", stderr.Trim(), StringComparison.Ordinal);
        AssertOneLine(CliRunner.Run("quantize", "static", modelDir, "--calibration-data", broken, "--calibration-format", "image", "--out", output), "holds no picture(s)");
        AssertOneLine(CliRunner.Run("quantize", "static", modelDir, "--calibration-data", broken, "--method", "kl", "--out", output), "'kl'");
        AssertOneLine(CliRunner.Run("quantize", "static", modelDir, "--calibration-data", broken, "--calibration-format", "mp3", "--out", output), "'mp3'");
    }

    [Fact]
    public void Progress_is_a_bar_redrawn_in_place_on_a_terminal_and_plain_lines_otherwise()
    {
        using var terminal = new StringWriter();
        Assert.Equal(25, CalibrationProgress.Track(Enumerable.Range(0, 25), 25, terminal, terminal: true).Count());
        var bar = terminal.ToString();
        Assert.Equal(25, bar.Count(c => c == '\r'));
        Assert.EndsWith($"\rcalibrating [{new string('#', 30)}] 25/25{Environment.NewLine}", bar, StringComparison.Ordinal);
        Assert.Contains($"\rcalibrating [{new string('#', 12)}{new string('.', 18)}] 10/25", bar, StringComparison.Ordinal);

        using var plain = new StringWriter();
        Assert.Equal(25, CalibrationProgress.Track(Enumerable.Range(0, 25), 25, plain, terminal: false).Count());
        Assert.Equal(["calibration: 3/25 samples", "calibration: 6/25 samples"], plain.ToString().Split(Environment.NewLine).Take(2));
        Assert.Equal(9, plain.ToString().Trim().Split(Environment.NewLine).Length);
        Assert.False(CalibrationProgress.IsTerminal(plain));
    }

    private static void AssertOneLine((int Exit, string Out, string Err) run, string expected)
    {
        Assert.Equal(2, run.Exit);
        Assert.Single(run.Err.Trim().Split('\n'));
        Assert.StartsWith("edgeai-quant: ", run.Err, StringComparison.Ordinal);
        Assert.Contains(expected, run.Err, StringComparison.Ordinal);
    }

    private static string WriteSpeechModelDirectory(string directory)
    {
        Directory.CreateDirectory(directory);
        var bytes = CalibrationFolderTests.SpeechModel();
        File.WriteAllBytes(Path.Combine(directory, "model.fp32.onnx"), bytes);
        var manifest = new ModelManifest
        {
            Name = "speech-features",
            Version = "1.0.0",
            Task = "keyword-spotting",
            Inputs = [new TensorSpec { Name = "features", Dtype = "float32", Shape = [1, -1, 40] }],
            Outputs = [new TensorSpec { Name = "out", Dtype = "float32", Shape = [1, -1, 8] }],
            Preprocessing = CalibrationFolderTests.AudioSpec,
            Variants = [new ModelVariant { Name = "fp32", File = "model.fp32.onnx", Sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes)), SizeBytes = bytes.Length }],
        };
        ModelManifestReader.Write(manifest, Path.Combine(directory, ModelManifest.FileName));
        return directory;
    }
}

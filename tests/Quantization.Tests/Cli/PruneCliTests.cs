using System.Security.Cryptography;
using System.Text.Json;
using EdgeAI.Inference;

namespace EdgeAI.Quantization.Tests.Cli;

public sealed class PruneCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgeai-quant-prune-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Prune_by_ratio_on_a_model_directory_writes_the_model_and_a_manifest_variant()
    {
        var modelDir = CliModels.WriteModelDirectory(Path.Combine(_dir, "model"));
        var outPath = Path.Combine(modelDir, "model.pruned.onnx");

        var (exit, stdout, stderr) = CliRunner.Run("prune", "--model", modelDir, "--out", outPath, "--ratio", "0.5", "--channel-multiple", "1", "--json");

        Assert.True(exit == 0, stderr);
        var r = JsonDocument.Parse(stdout).RootElement;
        // Independent count: conv1 keeps 4 of 8 (3x3 over 1 input), conv2 8 of 16 (3x3 over 4), fc reads 8 channels x 4x4, head unchanged.
        const long expected = ((4 * 9) + 4) + ((8 * 4 * 9) + 8) + ((32 * 8 * 16) + 32) + (32 * 10);
        Assert.Equal(expected, r.GetProperty("parametersAfter").GetInt64());
        Assert.Equal((8 * 9) + 8 + (16 * 72) + 16 + (32 * 256) + 32 + (32 * 10), r.GetProperty("parametersBefore").GetInt64());
        Assert.Equal([(4, 8), (8, 16)], r.GetProperty("layers").EnumerateArray().Select(l => (l.GetProperty("channelsAfter").GetInt32(), l.GetProperty("channelsBefore").GetInt32())));

        var bytes = File.ReadAllBytes(outPath);
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        Assert.Equal(sha, r.GetProperty("sha256").GetString());
        var variant = ModelManifestReader.Read(Path.Combine(modelDir, ModelManifest.FileName)).FindVariant("pruned")!;
        Assert.Equal("model.pruned.onnx", variant.File);
        Assert.Equal(sha, variant.Sha256);
        Assert.Equal(expected, variant.Metrics["parameters"]);
        Assert.Equal([1L, 10], OrtHelper.Shapes(bytes, ("x", CliModels.Image(1), [1, 1, 8, 8]))["y"]);

        var (textExit, text, _) = CliRunner.Run("prune", "--model", modelDir, "--out", outPath, "--ratio", "0.5", "--channel-multiple", "1");
        Assert.Equal(0, textExit);
        Assert.Contains("conv2: channels 8/16 kept (8 removed)", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Quantize_from_the_pruned_variant_records_pruned_int8_built_on_the_pruned_graph()
    {
        var modelDir = CliModels.WriteModelDirectory(Path.Combine(_dir, "model"));
        var calibration = CliModels.WriteImages(Path.Combine(_dir, "calib"), 100, 8);
        var (pExit, _, pErr) = CliRunner.Run("prune", "--model", modelDir, "--out", Path.Combine(modelDir, "model.pruned.onnx"), "--ratio", "0.5", "--channel-multiple", "1");
        Assert.True(pExit == 0, pErr);

        var (exit, _, stderr) = CliRunner.Run("quantize", "static", modelDir, "--from", "pruned", "--calibration-data", calibration,
            "--out", Path.Combine(modelDir, "model.pruned-int8.onnx"), "--variant", "pruned-int8");

        Assert.True(exit == 0, stderr);
        var manifest = ModelManifestReader.Read(Path.Combine(modelDir, ModelManifest.FileName));
        Assert.Equal(["fp32", "pruned", "pruned-int8"], manifest.Variants.Select(v => v.Name).Order(StringComparer.Ordinal));
        // The int8 file is quantized from the pruned graph: conv2 has 8 output channels (of 16), so its int8 weight is [8, 4, 3, 3].
        var int8 = EdgeAI.Quantization.Onnx.OnnxModel.Load(Path.Combine(modelDir, "model.pruned-int8.onnx"));
        var weights = int8.Graph.Initializers.Where(t => t.ElementType == Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Int8).Select(t => t.Dims.ToArray()).ToList();
        Assert.Contains(weights, d => d.SequenceEqual([8L, 4, 3, 3]));
        Assert.DoesNotContain(weights, d => d[0] == 16);
    }

    [Fact]
    public void From_names_an_unknown_variant_or_is_given_for_a_plain_file_one_clear_line()
    {
        var modelDir = CliModels.WriteModelDirectory(Path.Combine(_dir, "model"));
        var (exit, _, stderr) = CliRunner.Run("prune", "--model", modelDir, "--from", "nope", "--out", Path.Combine(modelDir, "x.onnx"), "--ratio", "0.5");
        Assert.Equal(2, exit);
        Assert.Contains("no variant 'nope' (--from); it has: fp32", stderr, StringComparison.Ordinal);

        var file = Path.Combine(_dir, "cnn.onnx");
        CliModels.Cnn().Save(file);
        (exit, _, stderr) = CliRunner.Run("quantize", "dynamic", file, "--from", "fp32", "--out", Path.Combine(_dir, "y.onnx"));
        Assert.Equal(2, exit);
        Assert.Contains("is an .onnx file, not a model directory", stderr, StringComparison.Ordinal);
        Assert.Single(stderr.Trim().Split('\n'));
    }

    [Fact]
    public void Prune_within_a_cosine_budget_meets_it_as_compare_measures_it()
    {
        var model = Path.Combine(_dir, "cnn.onnx");
        CliModels.Cnn().Save(model);
        var eval = CliModels.WriteImages(Path.Combine(_dir, "eval"), 3000, 12);
        var outPath = Path.Combine(_dir, "pruned.onnx");

        var (exit, stdout, stderr) = CliRunner.Run("prune", "--model", model, "--out", outPath, "--budget-cosine", "0.97", "--eval", eval, "--channel-multiple", "1", "--repeats", "2", "--json");

        Assert.True(exit == 0, stderr);
        var r = JsonDocument.Parse(stdout).RootElement;
        Assert.True(r.GetProperty("budget").GetProperty("met").GetBoolean());
        Assert.True(r.GetProperty("parametersAfter").GetInt64() < r.GetProperty("parametersBefore").GetInt64());
        Assert.All(r.GetProperty("layers").EnumerateArray(), l => Assert.True(l.GetProperty("sensitivityCosine").GetDouble() is > -1 and <= 1.0000001));
        Assert.True(r.GetProperty("comparison").GetProperty("latencyRatio").GetDouble() > 0);

        var (cExit, _, cErr) = CliRunner.Run("compare", model, outPath, "--data", eval, "--repeats", "0", "--min-cosine", "0.97");
        Assert.True(cExit == 0, cErr);
    }

    [Fact]
    public void Unstructured_sparsity_reports_zeros_and_the_compressed_size()
    {
        var model = Path.Combine(_dir, "cnn.onnx");
        CliModels.Cnn().Save(model);
        var outPath = Path.Combine(_dir, "sparse.onnx");

        var (exit, stdout, stderr) = CliRunner.Run("prune", "--model", model, "--out", outPath, "--unstructured", "0.6", "--json");

        Assert.True(exit == 0, stderr);
        var r = JsonDocument.Parse(stdout).RootElement;
        var u = r.GetProperty("unstructured");
        Assert.Equal(0.6, u.GetProperty("sparsity").GetDouble(), 2);
        Assert.Equal((8 * 9) + (16 * 72) + (32 * 256) + (32 * 10), u.GetProperty("weights").GetInt64());
        Assert.True(r.GetProperty("outputCompressedBytes").GetInt64() < r.GetProperty("inputCompressedBytes").GetInt64() * 0.7);
        Assert.Equal(r.GetProperty("parametersBefore").GetInt64(), r.GetProperty("parametersAfter").GetInt64());
    }

    [Theory]
    [InlineData("--ratio 1.5", "--ratio 1.5: expected a fraction in [0, 1)")]
    [InlineData("", "Nothing to do")]
    [InlineData("--budget-cosine 0.99", "needs --eval DIR")]
    [InlineData("--ratio 0.3 --budget-cosine 0.99", "not both")]
    [InlineData("--ratio 0.3 --exclude conv9", "Excluded node 'conv9' is not a node")]
    [InlineData("--layer-ratio conv2", "--layer-ratio 'conv2': expected CONV=R")]
    [InlineData("--layer-ratio fc=0.5", "'fc' is not a Conv whose output channels can be pruned")]
    [InlineData("--unstructured -0.5", "--unstructured -0.5: expected a fraction")]
    public void Bad_usage_is_one_line_with_exit_code_2(string options, string expected)
    {
        var model = Path.Combine(_dir, "cnn.onnx");
        CliModels.Cnn().Save(model);
        string[] args = ["prune", "--model", model, "--out", Path.Combine(_dir, "out.onnx"), .. options.Split(' ', StringSplitOptions.RemoveEmptyEntries)];

        var (exit, stdout, stderr) = CliRunner.Run(args);

        Assert.Equal(2, exit);
        Assert.Empty(stdout);
        Assert.StartsWith("edgeai-quant: ", stderr, StringComparison.Ordinal);
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.False(File.Exists(Path.Combine(_dir, "out.onnx")));
    }

    [Fact]
    public void A_missing_model_is_exit_code_2_and_nothing_pruned_is_exit_code_1()
    {
        var (missingExit, _, missingErr) = CliRunner.Run("prune", "--model", Path.Combine(_dir, "nope.onnx"), "--out", Path.Combine(_dir, "o.onnx"), "--ratio", "0.5");
        Assert.Equal(2, missingExit);
        Assert.Contains("does not exist", missingErr, StringComparison.Ordinal);

        var model = Path.Combine(_dir, "cnn.onnx");
        CliModels.Cnn().Save(model);
        // With the default rounding to 8 channels, 10 % of 8 and 16 channels removes none.
        var (exit, _, stderr) = CliRunner.Run("prune", "--model", model, "--out", Path.Combine(_dir, "o.onnx"), "--ratio", "0.1");
        Assert.Equal(1, exit);
        Assert.Contains("failed: Nothing in", stderr, StringComparison.Ordinal);
    }
}

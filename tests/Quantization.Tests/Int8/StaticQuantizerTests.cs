using EdgeAI.Quantization.Calibration;
using EdgeAI.Quantization.Int8;
using EdgeAI.Quantization.Onnx;
using EdgeAI.TestSupport;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit.Abstractions;

namespace EdgeAI.Quantization.Tests.Int8;

public sealed class StaticQuantizerTests(ITestOutputHelper output)
{
    // Floors for the int8 model against fp32 on 16 held-out inputs. Measured here: worst cosine 0.9963, mean
    // relative RMS error 0.030, worst 0.102 (uint8 activations on a small random-weight network).
    private const double MinCosine = 0.99;
    private const double MaxMeanRelativeRms = 0.05;
    private const double MaxRelativeRms = 0.15;

    [Fact]
    public void Quantized_cnn_loads_in_onnx_runtime_is_smaller_and_agrees_with_fp32()
    {
        var fp32 = Cnn();
        var calibrationSet = Enumerable.Range(0, 32).Select(i => Sample(seed: i)).ToList();
        var calibration = Calibrator.Calibrate(fp32, calibrationSet.Select(s => (IReadOnlyDictionary<string, NpyArray>)new Dictionary<string, NpyArray> { ["x"] = NpyArray.FromSingles(s, 1, 1, 8, 8) }));

        var result = StaticQuantizer.Quantize(fp32, calibration);
        var int8 = result.Model;

        Assert.Equal(["'conv1' (Conv)", "'conv2' (Conv)", "'flatten' (Flatten)", "'fc' (Gemm)", "'head' (MatMul)"], result.QuantizedNodes);
        Assert.Empty(result.SkippedNodes);
        Assert.Empty(int8.FindProblems());
        Assert.Equal(4, int8.Graph.Initializers.Count(t => t.ElementType == TensorElementType.Int8 && t.Dims.Count >= 2));
        Assert.Equal(3, int8.Graph.Initializers.Count(t => t.ElementType == TensorElementType.Int32 && t.Name.EndsWith("_quantized", StringComparison.Ordinal)));
        Assert.DoesNotContain(int8.Graph.Initializers, t => t.Name is "w1" or "w2" or "w3" or "w4" or "b1");
        Assert.Equal(["x"], int8.Graph.Inputs.Select(i => i.Name));
        Assert.Equal(["y"], int8.Graph.Outputs.Select(o => o.Name));

        var fp32Bytes = fp32.ToBytes();
        var int8Bytes = int8.ToBytes();
        var ratio = (double)int8Bytes.Length / fp32Bytes.Length;
        Assert.True(ratio < 0.4, $"int8 model is {int8Bytes.Length} bytes, fp32 {fp32Bytes.Length}: ratio {ratio:F3}");

        double worstCosine = 1, worstRms = 0, sumRms = 0;
        using var fp32Session = new InferenceSession(fp32Bytes);
        using var int8Session = new InferenceSession(int8Bytes);
        for (var i = 0; i < 16; i++)
        {
            var x = Sample(seed: 1000 + i);
            var expected = Run(fp32Session, x);
            var actual = Run(int8Session, x);
            worstCosine = Math.Min(worstCosine, OrtHelper.Cosine(expected, actual));
            worstRms = Math.Max(worstRms, RelativeRms(expected, actual));
            sumRms += RelativeRms(expected, actual);
        }

        output.WriteLine($"fp32 {fp32Bytes.Length} B, int8 {int8Bytes.Length} B (ratio {ratio:F3}); worst cosine {worstCosine:F5}, relative RMS mean {sumRms / 16:F4} worst {worstRms:F4} over 16 held-out inputs");
        Assert.True(worstCosine >= MinCosine, $"worst cosine similarity {worstCosine:F5} < {MinCosine}");
        Assert.True(sumRms / 16 <= MaxMeanRelativeRms, $"mean relative RMS error {sumRms / 16:F4} > {MaxMeanRelativeRms}");
        Assert.True(worstRms <= MaxRelativeRms, $"worst relative RMS error {worstRms:F4} > {MaxRelativeRms}");
    }

    [Fact]
    public void Onnx_runtime_fuses_the_qdq_patterns_into_int8_kernels()
    {
        var fp32 = Cnn();
        var calibration = Calibrator.Calibrate(fp32, Enumerable.Range(0, 8).Select(i => (IReadOnlyDictionary<string, NpyArray>)new Dictionary<string, NpyArray> { ["x"] = NpyArray.FromSingles(Sample(i), 1, 1, 8, 8) }));
        var int8 = StaticQuantizer.Quantize(fp32, calibration).Model;

        using var dir = new TempDirectory();
        using (var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_EXTENDED, OptimizedModelFilePath = dir.File("optimized.onnx") })
        using (new InferenceSession(int8.ToBytes(), options))
        {
        }

        // Read ORT's own optimized graph back with our loader.
        var optimized = OnnxModel.Load(dir.File("optimized.onnx"));
        var ops = optimized.Graph.Nodes.Select(n => n.OpType).ToList();
        output.WriteLine("ORT optimized graph: " + string.Join(", ", ops));
        Assert.Equal(2, ops.Count(o => o == "QLinearConv"));
        Assert.Contains("QGemm", ops);
        Assert.Contains("QLinearMatMul", ops);
        Assert.DoesNotContain("Conv", ops);
        Assert.DoesNotContain("Relu", ops);
    }

    [Fact]
    public void Excluded_nodes_and_missing_ranges_are_reported_and_old_opsets_refused()
    {
        var fp32 = Cnn();
        var calibration = Calibrator.Calibrate(fp32, [new Dictionary<string, NpyArray> { ["x"] = NpyArray.FromSingles(Sample(1), 1, 1, 8, 8) }]);
        var options = new StaticQuantizationOptions();
        options.ExcludedNodes.Add("conv1");
        options.ExcludedNodes.Add("flatten");
        var partial = new CalibrationResult(calibration.Ranges.Where(r => r.Key != "flat").ToDictionary(r => r.Key, r => r.Value), 1);

        // With the Flatten in fp32, 'flat' is not carried in int8 and has no calibrated range of its own.
        var result = StaticQuantizer.Quantize(fp32, partial, options);
        Assert.Equal(["'conv2' (Conv)", "'head' (MatMul)"], result.QuantizedNodes);
        Assert.Equal(
            ["Node 'conv1' (Conv): excluded by StaticQuantizationOptions.ExcludedNodes.", "Node 'flatten' (Flatten): excluded by StaticQuantizationOptions.ExcludedNodes.", "Node 'fc' (Gemm): no calibrated range for input 'flat'."],
            result.SkippedNodes);
        Assert.NotNull(result.Model.Graph.FindInitializer("w1"));
        Assert.Empty(result.Model.FindProblems());

        var old = Cnn();
        old.SetOpset(OnnxModel.DefaultDomain, 11);
        var ex = Assert.Throws<ArgumentException>(() => StaticQuantizer.Quantize(old, calibration));
        Assert.Contains("opset 11", ex.Message, StringComparison.Ordinal);

        var bad = new StaticQuantizationOptions();
        bad.OpTypes.Add("LSTM");
        Assert.Contains("LSTM", Assert.Throws<ArgumentException>(() => StaticQuantizer.Quantize(fp32, calibration, bad)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Gemm_without_transB_shared_weights_and_activation_matmul_quantize_and_agree()
    {
        // h = Gemm(x, W[8,6]) (channels on axis 1); a = MatMul(h, V), b = MatMul(h2, V) share V; s = MatMul(a, Transpose(b)) multiplies two activations.
        var random = new Random(8);
        float[] Values(int n) => [.. Enumerable.Range(0, n).Select(_ => (float)((random.NextDouble() * 2) - 1) * 0.5f)];
        var fp32 = new OnnxGraphBuilder("mix")
            .Opset(13)
            .AddInput("x", TensorElementType.Float, 4, 8)
            .AddInitializer("W", Values(48), 8, 6)
            .AddInitializer("c", Values(6), 6)
            .AddInitializer("V", Values(30), 6, 5)
            .AddNode("Gemm", ["x", "W", "c"], ["h"], name: "gemm")
            .AddNode("Neg", ["h"], ["h2"], name: "neg")
            .AddNode("MatMul", ["h", "V"], ["a"], name: "left")
            .AddNode("MatMul", ["h2", "V"], ["b"], name: "right")
            .AddNode("Transpose", ["b"], ["bt"], [OnnxAttribute.Ints("perm", 1, 0)], name: "transpose")
            .AddNode("MatMul", ["a", "bt"], ["s"], name: "scores")
            .AddOutput("s", TensorElementType.Float, 4, 4)
            .Build();
        float[] Input(int seed)
        {
            var r = new Random(seed);
            return [.. Enumerable.Range(0, 32).Select(_ => (float)((r.NextDouble() * 2) - 1))];
        }

        var calibration = Calibrator.Calibrate(fp32, Enumerable.Range(0, 24).Select(i => (IReadOnlyDictionary<string, NpyArray>)new Dictionary<string, NpyArray> { ["x"] = NpyArray.FromSingles(Input(i), 4, 8) }));
        var result = StaticQuantizer.Quantize(fp32, calibration);

        Assert.Equal(["'gemm' (Gemm)", "'left' (MatMul)", "'right' (MatMul)", "'transpose' (Transpose)", "'scores' (MatMul)"], result.QuantizedNodes);
        var dequantizeW = result.Model.Graph.Nodes.Single(n => n.OpType == "DequantizeLinear" && n.Inputs[0] == "W_quantized");
        Assert.Equal(1, dequantizeW.FindAttribute("axis")!.GetInt());
        Assert.Equal([6L], result.Model.Graph.FindInitializer("W_scale")!.Dims);
        Assert.Single(result.Model.Graph.Initializers, t => t.Name.StartsWith("V_quantized", StringComparison.Ordinal));
        Assert.Equal(2, result.Model.Graph.FindConsumers("V_dequantized").Count);

        using var a = new InferenceSession(fp32.ToBytes());
        using var b = new InferenceSession(result.Model.ToBytes());
        for (var i = 0; i < 8; i++)
        {
            var x = Input(500 + i);
            var expected = Run(a, x, "s", [4, 8]);
            var actual = Run(b, x, "s", [4, 8]);
            Assert.True(OrtHelper.Cosine(expected, actual) >= MinCosine, $"input {i}: cosine {OrtHelper.Cosine(expected, actual):F5}");
        }
    }

    [Fact]
    public void Without_output_quantization_only_inputs_get_quantize_nodes_and_overridable_weights_stay_fp32()
    {
        var fp32 = Cnn();
        fp32.Graph.AddInput("w4", TensorElementType.Float, [32, 10]);
        var calibration = Calibrator.Calibrate(fp32, Enumerable.Range(0, 4).Select(i => (IReadOnlyDictionary<string, NpyArray>)new Dictionary<string, NpyArray> { ["x"] = NpyArray.FromSingles(Sample(i), 1, 1, 8, 8) }));
        var options = new StaticQuantizationOptions { QuantizeOutputs = false };

        var result = StaticQuantizer.Quantize(fp32, calibration, options);

        Assert.Equal(["Node 'head' (MatMul): weight 'w4' is also a graph input, so a caller may replace it at run time."], result.SkippedNodes);
        var quantizeInputs = result.Model.Graph.Nodes.Where(n => n.OpType == "QuantizeLinear").Select(n => n.Inputs[0]).ToList();
        Assert.Equal(["x", "r1", "flat"], quantizeInputs);
        Assert.Contains(result.Model.Graph.Nodes, n => n.OpType == "Relu");
        Assert.NotNull(result.Model.Graph.FindInitializer("w4"));
    }

    private static OnnxModel Cnn() => Cli.CliModels.Cnn(seed: 2024);

    private static float[] Sample(int seed) => Cli.CliModels.Image(seed);

    private static float[] Run(InferenceSession session, float[] x) => Run(session, x, "y", [1, 1, 8, 8]);

    private static float[] Run(InferenceSession session, float[] x, string output, long[] shape)
    {
        using var input = OrtValue.CreateTensorValueFromMemory(x, shape);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["x"], [input], [output]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    private static double RelativeRms(float[] expected, float[] actual)
    {
        double err = 0, norm = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            err += Math.Pow(expected[i] - actual[i], 2);
            norm += expected[i] * (double)expected[i];
        }

        return Math.Sqrt(err / norm);
    }
}

using EdgeAI.Quantization.Calibration;
using EdgeAI.Quantization.Int8;
using EdgeAI.Quantization.Onnx;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit.Abstractions;

namespace EdgeAI.Quantization.Tests.Int8;

/// <summary>
/// Real ONNX Runtime sessions. Which layers get reverted depends on the CPU and its load, so these tests assert what must
/// hold whatever the timings: the report is consistent with its own measurements and with the returned graph, the result
/// is never slower than all-int8 by the final measurement, and the outputs stay close to fp32.
/// </summary>
public sealed class LatencyGuidedQuantizerTests(ITestOutputHelper output)
{
    private const int Size = 96;

    [Fact]
    public void Reverted_layers_are_fp32_in_the_graph_measured_faster_and_the_result_is_not_slower_than_all_int8()
    {
        var (model, ranges, samples) = Setup();
        var options = new LatencyGuidedOptions { TimingRepeats = 5 };
        var full = StaticQuantizer.Quantize(model, ranges);

        var result = LatencyGuidedQuantizer.Quantize(model, ranges, samples, options);

        foreach (var l in result.Layers)
        {
            output.WriteLine($"{l.Label}: {(l.RevertedToFp32 ? "reverted to fp32" : "kept int8")} ({string.Join(", ", l.Ratios.Select(r => r.ToString("F3")))})");
        }

        output.WriteLine($"all-int8 {result.AllInt8VsFp32:F3}x fp32, final {result.FinalVsFp32:F3}x fp32, {result.FinalVsAllInt8:F3}x all-int8");
        // The MaxPool group first (the chain has no block of two layers, one depthwise Conv only), then every weighted or
        // activation layer of the all-int8 model, in graph order (Flatten only carries int8 data).
        Assert.Equal(["op:MaxPool", "stem_conv", "dw_conv", "pw_conv", "gap", "fc"], result.Layers.Select(l => l.Node));
        Assert.All(result.Layers, l => Assert.All(l.Nodes, n => Assert.Contains(n, full.QuantizedNodes)));
        Assert.True(result.FinalVsAllInt8 <= 1, $"final/all-int8 {result.FinalVsAllInt8}");
        Assert.True(result.AllInt8VsFp32 > 0 && result.FinalVsFp32 > 0);
        var graph = result.Quantization.Model.Graph;
        var initializers = graph.Initializers.ToDictionary(t => t.Name, StringComparer.Ordinal);
        foreach (var node in model.Graph.Nodes.Where(n => n.OpType is "Conv" or "Gemm"))
        {
            // A weighted layer in fp32 reads its fp32 weight directly; in int8 it reads it through DequantizeLinear.
            var weightIsFloat = initializers.TryGetValue(Assert.Single(graph.Nodes, n => n.Name == node.Name).Inputs[1], out var w) && w.ElementType == TensorElementType.Float;
            Assert.Equal(result.RevertedFp32.Contains(node.Label), weightIsFloat);
        }

        Assert.All(result.RevertedFp32, r => Assert.DoesNotContain(r, result.Quantization.QuantizedNodes));
        foreach (var layer in result.Layers)
        {
            if (layer.RevertedToFp32)
            {
                Assert.Equal(options.Confirmations, layer.Ratios.Count);
                Assert.All(layer.Ratios, r => Assert.True(r < 1 - options.MinGain, $"{layer.Node} reverted at ratio {r}"));
                Assert.False(layer.RefusedByAccuracy);
            }
            else if (result.RevertedFp32.Count > 0)
            {
                // Kept int8 in a search that did revert something: the last measurement did not show the gain, or the guard refused it.
                Assert.True(layer.Ratios[^1] >= 1 - options.MinGain || layer.RefusedByAccuracy, $"{layer.Node} kept at ratio {layer.Ratios[^1]}");
            }
        }

        // Outputs against fp32, computed here with own sessions (tolerance 1e-9 on the reported cosine).
        var cosine = WorstCosine(model.ToBytes(), result.Quantization.Model.ToSelfContainedBytes(), samples);
        Assert.Equal(cosine, result.MinCosine, 1e-9);
        Assert.True(cosine > 0.99, $"cosine {cosine}");
    }

    [Fact]
    public void A_gain_no_layer_can_reach_returns_the_all_int8_model_after_one_measurement_per_layer()
    {
        var (model, ranges, samples) = Setup();

        var result = LatencyGuidedQuantizer.Quantize(model, ranges, samples, new LatencyGuidedOptions { MinGain = 0.99999, Confirmations = 3, TimingRepeats = 1 });

        Assert.Empty(result.RevertedFp32);
        Assert.All(result.Layers, l => Assert.Single(l.Ratios)); // 100,000x faster never shows (not even against a stalled baseline), so no confirmation is attempted
        Assert.Equal(1.0, result.FinalVsAllInt8);
        Assert.Equal(result.AllInt8VsFp32, result.FinalVsFp32);
        Assert.Equal(StaticQuantizer.Quantize(model, ranges).QuantizedNodes, result.Quantization.QuantizedNodes);
    }

    [Theory]
    [InlineData(0, 64, 0.002, "TimingSamples")]
    [InlineData(8, 0, 0.002, "AccuracySamples")]
    [InlineData(8, 64, -0.1, "MeanCosineTolerance")]
    [InlineData(8, 64, double.NaN, "MeanCosineTolerance")]
    public void Invalid_sample_counts_and_tolerance_are_refused_naming_the_setting(int timing, int accuracy, double tolerance, string name)
    {
        var (model, ranges, samples) = Setup(1);
        var options = new LatencyGuidedOptions { TimingSamples = timing, AccuracySamples = accuracy, MeanCosineTolerance = tolerance };

        var ex = Assert.Throws<ArgumentException>(() => LatencyGuidedQuantizer.Quantize(model, ranges, samples, options));

        Assert.Equal(name, ex.ParamName);
        Assert.Contains($"LatencyGuidedOptions.{name}", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1.0, 2, 5, 1, "MinGain")]
    [InlineData(-0.1, 2, 5, 1, "MinGain")]
    [InlineData(0.03, 0, 5, 1, "Confirmations")]
    [InlineData(0.03, 2, 0, 1, "TimingRepeats")]
    [InlineData(0.03, 2, 5, -1, "IntraOpThreads")]
    public void Invalid_options_are_refused_naming_the_setting(double gain, int confirmations, int repeats, int threads, string name)
    {
        var (model, ranges, samples) = Setup(1);
        var options = new LatencyGuidedOptions { MinGain = gain, Confirmations = confirmations, TimingRepeats = repeats, IntraOpThreads = threads };

        var ex = Assert.Throws<ArgumentException>(() => LatencyGuidedQuantizer.Quantize(model, ranges, samples, options));

        Assert.Equal(name, ex.ParamName);
        Assert.Contains($"LatencyGuidedOptions.{name}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void No_samples_is_refused()
    {
        var (model, ranges, _) = Setup(1);

        var ex = Assert.Throws<ArgumentException>(() => LatencyGuidedQuantizer.Quantize(model, ranges, []));

        Assert.Contains("sample", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// x [1,3,96,96] → stem Conv(3→16, 3×3, full resolution)+ReLU → MaxPool 2×2 → depthwise Conv(16, 3×3)+ReLU →
    /// Conv(16→32, 1×1)+ReLU → GlobalAveragePool → Flatten → Gemm(10): the layers ONNX Runtime's int8 kernels are slow at on x86.
    /// </summary>
    internal static OnnxModel Model()
    {
        var random = new Random(5);
        float[] Weights(int count, int fanIn) => [.. Enumerable.Range(0, count).Select(_ => (float)(((random.NextDouble() * 2) - 1) * Math.Sqrt(6.0 / fanIn)))];
        float[] Biases(int count) => [.. Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() - 0.5) * 0.2))];
        OnnxAttribute[] Same3x3 = [OnnxAttribute.Ints("pads", 1, 1, 1, 1), OnnxAttribute.Ints("kernel_shape", 3, 3)];
        return new OnnxGraphBuilder("stem")
            .Opset(17)
            .AddInput("x", TensorElementType.Float, 1, 3, Size, Size)
            .AddInitializer("w1", Weights(16 * 27, 27), 16, 3, 3, 3)
            .AddInitializer("b1", Biases(16), 16)
            .AddInitializer("w2", Weights(16 * 9, 9), 16, 1, 3, 3)
            .AddInitializer("b2", Biases(16), 16)
            .AddInitializer("w3", Weights(32 * 16, 16), 32, 16, 1, 1)
            .AddInitializer("b3", Biases(32), 32)
            .AddInitializer("w4", Weights(10 * 32, 32), 10, 32)
            .AddInitializer("b4", Biases(10), 10)
            .AddNode("Conv", ["x", "w1", "b1"], ["c1"], Same3x3, name: "stem_conv")
            .AddNode("Relu", ["c1"], ["r1"], name: "stem_relu")
            .AddNode("MaxPool", ["r1"], ["p1"], [OnnxAttribute.Ints("kernel_shape", 2, 2), OnnxAttribute.Ints("strides", 2, 2)], name: "pool")
            .AddNode("Conv", ["p1", "w2", "b2"], ["c2"], [.. Same3x3, OnnxAttribute.Int("group", 16)], name: "dw_conv")
            .AddNode("Relu", ["c2"], ["r2"], name: "dw_relu")
            .AddNode("Conv", ["r2", "w3", "b3"], ["c3"], name: "pw_conv")
            .AddNode("Relu", ["c3"], ["r3"], name: "pw_relu")
            .AddNode("GlobalAveragePool", ["r3"], ["g"], name: "gap")
            .AddNode("Flatten", ["g"], ["f"], [OnnxAttribute.Int("axis", 1)], name: "flatten")
            .AddNode("Gemm", ["f", "w4", "b4"], ["y"], [OnnxAttribute.Int("transB", 1)], name: "fc")
            .AddOutput("y", TensorElementType.Float, 1, 10)
            .Build();
    }

    private static (OnnxModel Model, CalibrationResult Ranges, List<IReadOnlyDictionary<string, NpyArray>> Samples) Setup(int count = 3)
    {
        var model = Model();
        var samples = Enumerable.Range(0, count).Select(i => (IReadOnlyDictionary<string, NpyArray>)new Dictionary<string, NpyArray> { ["x"] = NpyArray.FromSingles(Image(40 + i), 1, 3, Size, Size) }).ToList();
        return (model, Calibrator.Calibrate(model, samples), samples);
    }

    private static float[] Image(int seed)
    {
        var random = new Random(seed);
        var (fx, fy) = (random.NextDouble() * 0.3, random.NextDouble() * 0.3);
        return [.. Enumerable.Range(0, 3 * Size * Size).Select(i => (float)(0.5 + (0.4 * Math.Sin((fx * (i % Size)) + (fy * (i / Size % Size)) + (i / (Size * Size)))) + ((random.NextDouble() - 0.5) * 0.1)))];
    }

    private static double WorstCosine(byte[] fp32, byte[] int8, List<IReadOnlyDictionary<string, NpyArray>> samples)
    {
        using var referenceOptions = new SessionOptions { IntraOpNumThreads = 1 };
        using var candidateOptions = new SessionOptions { IntraOpNumThreads = 1 };
        candidateOptions.AddSessionConfigEntry("optimization.disable_specified_optimizers", "QDQPropagationTransformer");
        using var reference = new InferenceSession(fp32, referenceOptions);
        using var candidate = new InferenceSession(int8, candidateOptions);
        var worst = 1.0;
        foreach (var sample in samples)
        {
            var x = sample["x"].ToSingleArray();
            var a = Run(reference, x);
            var b = Run(candidate, x);
            worst = Math.Min(worst, OrtHelper.Cosine(a, b));
        }

        return worst;
    }

    private static float[] Run(InferenceSession session, float[] x)
    {
        using var input = OrtValue.CreateTensorValueFromMemory(x, [1, 3, Size, Size]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["x"], [input], ["y"]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }
}

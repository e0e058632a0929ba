using EdgeAI.Quantization.Int8;
using EdgeAI.Quantization.Onnx;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeAI.Quantization.Tests.Int8;

public sealed class DynamicQuantizerTests
{
    // Floors for int8 weights with per-column scales and per-call uint8 activations on random weights. On this
    // machine a 64→128 LSTM measured cosine 0.99999 (SQNR 46 dB, docs/quantization.md); the floors leave room
    // for other CPUs' kernels (ARM uses different int8 GEMMs).
    private const double MlpMinCosine = 0.999;
    private const double LstmMinCosine = 0.995;

    [Fact]
    public void MatMul_and_Gemm_become_DynamicQuantizeMatMul_that_ONNX_Runtime_runs_close_to_fp32()
    {
        var model = Mlp();
        var result = DynamicQuantizer.Quantize(model);

        Assert.Equal(["'fc1' (MatMul)", "'fc2' (Gemm)"], result.QuantizedNodes);
        Assert.All(result.Model.Graph.Nodes.Where(n => n.OpType.StartsWith("Dynamic", StringComparison.Ordinal)), n => Assert.Equal("com.microsoft", n.Domain));
        Assert.Equal(2, result.Model.Graph.Nodes.Count(n => n.OpType == "DynamicQuantizeMatMul"));
        Assert.Null(result.Model.Graph.FindInitializer("W1"));
        var fp32 = model.ToBytes();
        var int8 = result.Model.ToBytes();
        Assert.True(int8.Length < 0.4 * fp32.Length, $"{int8.Length} vs {fp32.Length} bytes");

        using var reference = new InferenceSession(fp32);
        using var candidate = new InferenceSession(int8);
        for (var seed = 0; seed < 8; seed++)
        {
            var x = Random(seed, 4 * 64, 1.0);
            var a = Run(reference, ("x", x, [4, 64]), "y");
            var b = Run(candidate, ("x", x, [4, 64]), "y");
            Assert.True(OrtHelper.Cosine(a, b) > MlpMinCosine, $"seed {seed}: cosine {OrtHelper.Cosine(a, b)}");
        }
    }

    [Fact]
    public void Quantized_matmul_weights_dequantize_to_the_originals_within_half_a_step()
    {
        var model = Mlp();
        var q = DynamicQuantizer.Quantize(model).Model.Graph;
        var w2 = model.Graph.FindInitializer("W2")!.ToSingleArray(); // Gemm transB=1: [16, 32], becomes [32, 16]
        var w2q = q.FindInitializer("W2_quantized")!;
        var scales = q.FindInitializer("W2_scale")!.ToSingleArray();
        Assert.Equal([32L, 16L], w2q.Dims);
        var values = w2q.ToSingleArray();
        for (var k = 0; k < 32; k++)
        {
            for (var n = 0; n < 16; n++)
            {
                Assert.InRange(Math.Abs((values[(k * 16) + n] * scales[n]) - w2[(n * 32) + k]), 0, (scales[n] / 2) + 1e-7);
            }
        }
    }

    [Theory]
    [InlineData("forward", 1)]
    [InlineData("bidirectional", 2)]
    public void Lstm_becomes_DynamicQuantizeLSTM_that_ONNX_Runtime_runs_close_to_fp32(string direction, int directions)
    {
        const int Steps = 20, Batch = 2, InputSize = 16, Hidden = 32;
        var model = Lstm(direction, directions, InputSize, Hidden);
        var result = DynamicQuantizer.Quantize(model);

        Assert.Equal(["'lstm' (LSTM)"], result.QuantizedNodes);
        var node = Assert.Single(result.Model.Graph.Nodes, n => n.OpType == "DynamicQuantizeLSTM");
        Assert.Equal(12, node.Inputs.Count);
        Assert.Equal([(long)directions, InputSize, 4 * Hidden], result.Model.Graph.FindInitializer(node.Inputs[1])!.Dims);
        var fp32 = model.ToBytes();
        var int8 = result.Model.ToBytes();
        Assert.True(int8.Length < 0.4 * fp32.Length, $"{int8.Length} vs {fp32.Length} bytes");

        using var reference = new InferenceSession(fp32);
        using var candidate = new InferenceSession(int8);
        for (var seed = 0; seed < 4; seed++)
        {
            var x = Random(100 + seed, Steps * Batch * InputSize, 1.0);
            foreach (var output in new[] { "y", "y_h" })
            {
                var a = Run(reference, ("x", x, [Steps, Batch, InputSize]), output);
                var b = Run(candidate, ("x", x, [Steps, Batch, InputSize]), output);
                Assert.True(OrtHelper.Cosine(a, b) > LstmMinCosine, $"{direction} seed {seed} {output}: cosine {OrtHelper.Cosine(a, b)}");
            }
        }
    }

    [Fact]
    public void Excluded_and_small_nodes_stay_fp32_with_a_reason()
    {
        var options = new DynamicQuantizationOptions { MinimumWeightElements = 1000 };
        options.ExcludedNodes.Add("fc1");

        var result = DynamicQuantizer.Quantize(Mlp(), options);

        Assert.Empty(result.QuantizedNodes);
        Assert.Contains(result.SkippedNodes, s => s.Contains("'fc1'", StringComparison.Ordinal) && s.Contains("excluded", StringComparison.Ordinal));
        Assert.Contains(result.SkippedNodes, s => s.Contains("'fc2'", StringComparison.Ordinal) && s.Contains("512 elements", StringComparison.Ordinal));
    }

    internal static OnnxModel Mlp() =>
        new OnnxGraphBuilder("mlp")
            .Opset(17)
            .AddInput("x", TensorElementType.Float, "N", 64)
            .AddInitializer("W1", Random(1, 64 * 32, Math.Sqrt(6.0 / 64)), 64, 32)
            .AddInitializer("W2", Random(2, 16 * 32, Math.Sqrt(6.0 / 32)), 16, 32)
            .AddInitializer("C2", Random(3, 16, 0.1), 16)
            .AddNode("MatMul", ["x", "W1"], ["h"], name: "fc1")
            .AddNode("Relu", ["h"], ["r"], name: "relu")
            .AddNode("Gemm", ["r", "W2", "C2"], ["y"], [OnnxAttribute.Int("transB", 1), OnnxAttribute.Float("beta", 0.5f)], name: "fc2")
            .AddOutput("y", TensorElementType.Float, "N", 16)
            .Build();

    internal static OnnxModel Lstm(string direction, int directions, int inputSize, int hidden) =>
        new OnnxGraphBuilder("lstm")
            .Opset(17)
            .AddInput("x", TensorElementType.Float, "T", "N", inputSize)
            .AddInitializer("W", Random(10, directions * 4 * hidden * inputSize, 1 / Math.Sqrt(hidden)), directions, 4 * hidden, inputSize)
            .AddInitializer("R", Random(11, directions * 4 * hidden * hidden, 1 / Math.Sqrt(hidden)), directions, 4 * hidden, hidden)
            .AddInitializer("B", Random(12, directions * 8 * hidden, 0.1), directions, 8 * hidden)
            .AddNode("LSTM", ["x", "W", "R", "B"], ["y", "y_h"], [OnnxAttribute.Int("hidden_size", hidden), OnnxAttribute.String("direction", direction)], name: "lstm")
            .AddOutput("y", TensorElementType.Float, "T", directions, "N", hidden)
            .AddOutput("y_h", TensorElementType.Float, directions, "N", hidden)
            .Build();

    internal static float[] Random(int seed, int count, double scale)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => (float)(((random.NextDouble() * 2) - 1) * scale))];
    }

    private static float[] Run(InferenceSession session, (string Name, float[] Data, long[] Shape) input, string output)
    {
        using var value = OrtValue.CreateTensorValueFromMemory(input.Data, input.Shape);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, [input.Name], [value], [output]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }
}

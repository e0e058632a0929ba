using EdgeAI.Quantization.Calibration;
using EdgeAI.Quantization.Int8;
using EdgeAI.Quantization.Onnx;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeAI.Quantization.Tests.Int8;

/// <summary>The groups the latency-guided search tries in fp32 together, and what keeping a block fp32 leaves in the graph.</summary>
public sealed class FallbackGroupsTests
{
    private const int Channels = 8, Side = 8;

    [Fact]
    public void Groups_are_all_depthwise_convs_all_maxpools_and_each_residual_block_with_two_or_more_layers()
    {
        var (model, ranges) = Setup();
        var full = StaticQuantizer.Quantize(model, ranges);

        var groups = FallbackCandidates.Groups(model, full);

        Assert.Equal(["op:depthwise-Conv", "op:MaxPool", "block:dw1"], groups.Select(g => g.Name));
        Assert.Equal(["dw1", "dw2"], groups[0].Nodes.Select(n => n.Name));
        Assert.Equal(["pool"], groups[1].Nodes.Select(n => n.Name));
        // The residual block is entered and left by one tensor each: 'ra' in, 's' out; the skip edge keeps 'ra' live inside.
        // Its members are the nodes the quantizer rewrote (dw1_relu is folded into dw1's output quantization).
        Assert.Equal(["dw1", "pw", "add"], groups[2].Nodes.Select(n => n.Name));
        Assert.Equal("block 'dw1' .. 'add' (3 quantized layers)", groups[2].Label);
    }

    [Fact]
    public void A_block_kept_fp32_has_no_quantize_dequantize_inside_only_at_its_edges()
    {
        var (model, ranges) = Setup();
        var full = StaticQuantizer.Quantize(model, ranges);
        var block = FallbackCandidates.Groups(model, full).Single(g => g.Name == "block:dw1");

        var mixed = StaticQuantizer.Quantize(model, ranges, FallbackCandidates.Excluding(new StaticQuantizationOptions(), block.Nodes.Select(n => n.Name)));

        var graph = mixed.Model.Graph;
        var quantizedTensors = graph.Nodes.Where(n => n.OpType == "QuantizeLinear").Select(n => n.Inputs[0]).ToList();
        Assert.DoesNotContain("d1", quantizedTensors);
        Assert.DoesNotContain("rd", quantizedTensors);
        Assert.DoesNotContain("p", quantizedTensors);
        Assert.Contains("s", quantizedTensors); // the exit, for dw2
        Assert.All(["dw1", "pw"], name => Assert.Equal(TensorElementType.Float, graph.FindInitializer(Assert.Single(graph.Nodes, n => n.Name == name).Inputs[1])?.ElementType));
        Assert.DoesNotContain(mixed.QuantizedNodes, l => block.Nodes.Any(n => n.Label == l));
        Assert.Contains("'dw2' (Conv)", mixed.QuantizedNodes);
    }

    /// <summary>
    /// x [1,8,8,8] → Conv 'a' (1×1) + Relu → ra; residual block: depthwise 'dw1' (3×3) + Relu → Conv 'pw' (1×1) → Add with ra → s;
    /// then depthwise 'dw2' → MaxPool 'pool' → GlobalAveragePool → Flatten → Gemm → y.
    /// </summary>
    private static OnnxModel Model()
    {
        var random = new Random(3);
        float[] Weights(int count) => [.. Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2) - 1) * 0.5f)];
        OnnxAttribute[] depthwise = [OnnxAttribute.Ints("pads", 1, 1, 1, 1), OnnxAttribute.Ints("kernel_shape", 3, 3), OnnxAttribute.Int("group", Channels)];
        return new OnnxGraphBuilder("groups")
            .Opset(17)
            .AddInput("x", TensorElementType.Float, 1, Channels, Side, Side)
            .AddInitializer("wa", Weights(Channels * Channels), Channels, Channels, 1, 1)
            .AddInitializer("wd1", Weights(Channels * 9), Channels, 1, 3, 3)
            .AddInitializer("wp", Weights(Channels * Channels), Channels, Channels, 1, 1)
            .AddInitializer("wd2", Weights(Channels * 9), Channels, 1, 3, 3)
            .AddInitializer("wf", Weights(4 * Channels), 4, Channels)
            .AddNode("Conv", ["x", "wa"], ["a_out"], name: "a")
            .AddNode("Relu", ["a_out"], ["ra"], name: "a_relu")
            .AddNode("Conv", ["ra", "wd1"], ["d1"], depthwise, name: "dw1")
            .AddNode("Relu", ["d1"], ["rd"], name: "dw1_relu")
            .AddNode("Conv", ["rd", "wp"], ["p"], name: "pw")
            .AddNode("Add", ["ra", "p"], ["s"], name: "add")
            .AddNode("Conv", ["s", "wd2"], ["d2"], depthwise, name: "dw2")
            .AddNode("MaxPool", ["d2"], ["m"], [OnnxAttribute.Ints("kernel_shape", 2, 2), OnnxAttribute.Ints("strides", 2, 2)], name: "pool")
            .AddNode("GlobalAveragePool", ["m"], ["g"], name: "gap")
            .AddNode("Flatten", ["g"], ["f"], [OnnxAttribute.Int("axis", 1)], name: "flatten")
            .AddNode("Gemm", ["f", "wf"], ["y"], [OnnxAttribute.Int("transB", 1)], name: "fc")
            .AddOutput("y", TensorElementType.Float, 1, 4)
            .Build();
    }

    private static (OnnxModel Model, CalibrationResult Ranges) Setup()
    {
        var model = Model();
        var samples = Enumerable.Range(0, 4).Select(seed =>
        {
            var random = new Random(seed);
            float[] x = [.. Enumerable.Range(0, Channels * Side * Side).Select(_ => (float)((random.NextDouble() * 2) - 1))];
            return (IReadOnlyDictionary<string, NpyArray>)new Dictionary<string, NpyArray> { ["x"] = NpyArray.FromSingles(x, 1, Channels, Side, Side) };
        });
        return (model, Calibrator.Calibrate(model, samples));
    }
}

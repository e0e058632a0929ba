using EdgeAI.Quantization.Calibration;
using EdgeAI.Quantization.Onnx;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeAI.Quantization.Tests.Pruning;

/// <summary>
/// Small CNNs for the pruning tests, built in code with seeded random weights: a plain Conv chain with
/// BatchNormalization and Flatten into a Gemm, a depthwise-separable chain, a residual Add and a Concat.
/// Channels named in <c>zeroed</c> get all-zero weights and biases, so removing them must not change the outputs.
/// </summary>
internal sealed class PruningModels
{
    private readonly Random _random;
    private readonly OnnxGraphBuilder _builder;
    private readonly Dictionary<string, int[]> _zeroed;

    private PruningModels(string name, int seed, Dictionary<string, int[]>? zeroed)
    {
        _random = new Random(seed);
        _zeroed = zeroed ?? [];
        _builder = new OnnxGraphBuilder(name).Opset(17).AddInput("x", TensorElementType.Float, "N", 3, 8, 8);
    }

    public static OnnxGraphBuilder Plain(Dictionary<string, int[]>? zeroed = null, bool batchNorm = true)
    {
        var m = new PruningModels("plain", 11, zeroed);
        m.Conv("conv1", "x", "c1", 8, 3);
        var t = "c1";
        if (batchNorm)
        {
            m.BatchNorm("bn1", t, "n1", 8);
            t = "n1";
        }

        m.Node("Relu", [t], "r1");
        m.Conv("conv2", "r1", "c2", 16, 8, stride: 2);
        m.Node("Relu", ["c2"], "r2");
        m.Node("Flatten", ["r2"], "flat", OnnxAttribute.Int("axis", 1));
        m.Gemm("fc", "flat", "y", 16 * 4 * 4, 10);
        return m._builder.AddOutput("y", TensorElementType.Float, "N", 10);
    }

    /// <summary>conv0(8) → dw1 → pw1(16) → dw2 → pw2(12) → GAP → Flatten → MatMul(5).</summary>
    public static OnnxGraphBuilder Separable(Dictionary<string, int[]>? zeroed = null)
    {
        var m = new PruningModels("separable", 12, zeroed);
        m.Conv("conv0", "x", "c0", 8, 3);
        m.Node("Relu", ["c0"], "r0");
        m.Conv("dw1", "r0", "d1", 8, 1, group: 8);
        m.Node("Clip", ["d1", "clip_min", "clip_max"], "rd1");
        m.Conv("pw1", "rd1", "p1", 16, 8, kernel: 1);
        m.Node("Relu", ["p1"], "rp1");
        m.Conv("dw2", "rp1", "d2", 16, 1, group: 16);
        m.Node("Relu", ["d2"], "rd2");
        m.Conv("pw2", "rd2", "p2", 12, 16, kernel: 1);
        m.Node("GlobalAveragePool", ["p2"], "gap");
        m.Node("Flatten", ["gap"], "flat");
        m._builder.AddInitializer("clip_min", [0f]).AddInitializer("clip_max", [6f])
            .AddInitializer("head_w", m.Weights(12 * 5, 12), 12, 5)
            .AddNode("MatMul", ["flat", "head_w"], ["y"], name: "head");
        return m._builder.AddOutput("y", TensorElementType.Float, "N", 5);
    }

    /// <summary>conv_a(8) → ReLU → conv_b(8) → Add(ReLU(conv_a), conv_b) → ReLU → Mul(per-channel scale) → conv_c(6) → GAP → Flatten → Gemm(4).</summary>
    public static OnnxGraphBuilder Residual(Dictionary<string, int[]>? zeroed = null)
    {
        var m = new PruningModels("residual", 13, zeroed);
        m.Conv("conv_a", "x", "ca", 8, 3);
        m.Node("Relu", ["ca"], "ra");
        m.Conv("conv_b", "ra", "cb", 8, 8);
        m.Node("Add", ["ra", "cb"], "sum");
        m.Node("Relu", ["sum"], "rs");
        m._builder.AddInitializer("scale", [.. Enumerable.Range(0, 8).Select(i => 0.5f + (0.1f * i))], 8, 1, 1);
        m.Node("Mul", ["rs", "scale"], "scaled");
        m.Conv("conv_c", "scaled", "cc", 6, 8);
        m.Node("GlobalAveragePool", ["cc"], "gap");
        m.Node("Flatten", ["gap"], "flat");
        m.Gemm("fc", "flat", "y", 6, 4);
        return m._builder.AddOutput("y", TensorElementType.Float, "N", 4);
    }

    /// <summary>conv_a(6) and conv_b(10) on x → Concat(axis 1) → ReLU → MaxPool → conv_c(8) → GAP → Flatten → Gemm(3).</summary>
    public static OnnxGraphBuilder Concat(Dictionary<string, int[]>? zeroed = null)
    {
        var m = new PruningModels("concat", 14, zeroed);
        m.Conv("conv_a", "x", "ca", 6, 3);
        m.Conv("conv_b", "x", "cb", 10, 3, kernel: 1);
        m.Node("Concat", ["ca", "cb"], "cat", OnnxAttribute.Int("axis", 1));
        m.Node("Relu", ["cat"], "rc");
        m.Node("MaxPool", ["rc"], "pool", OnnxAttribute.Ints("kernel_shape", 2, 2), OnnxAttribute.Ints("strides", 2, 2));
        m.Conv("conv_c", "pool", "cc", 8, 16);
        m.Node("GlobalAveragePool", ["cc"], "gap");
        m.Node("Flatten", ["gap"], "flat");
        m.Gemm("fc", "flat", "y", 8, 3);
        return m._builder.AddOutput("y", TensorElementType.Float, "N", 3);
    }

    /// <summary>conv1(8) → <paramref name="opType"/> → ... : a consumer whose channel dependency pruning cannot follow.</summary>
    public static OnnxGraphBuilder WithConsumer(string opType, params OnnxAttribute[] attributes)
    {
        var m = new PruningModels("blocked", 15, null);
        m.Conv("conv1", "x", "c1", 8, 3);
        m.Node(opType, ["c1"], "t", attributes);
        m.Node("ReduceMean", ["t"], "y", OnnxAttribute.Int("keepdims", 0));
        return m._builder.AddOutput("y", TensorElementType.Float);
    }

    public static float[] Input(int seed, int batch = 1)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, batch * 3 * 64).Select(_ => (float)((random.NextDouble() * 2) - 1))];
    }

    public static IReadOnlyList<IReadOnlyDictionary<string, NpyArray>> Samples(int firstSeed, int count) =>
        [.. Enumerable.Range(firstSeed, count).Select(s => (IReadOnlyDictionary<string, NpyArray>)new Dictionary<string, NpyArray> { ["x"] = NpyArray.FromSingles(Input(s), 1, 3, 8, 8) })];

    private void Conv(string name, string input, string output, int channels, int inputChannels, int kernel = 3, int stride = 1, int group = 1)
    {
        var perChannel = inputChannels * kernel * kernel;
        var w = Weights(channels * perChannel, perChannel);
        var b = Enumerable.Range(0, channels).Select(_ => (float)((_random.NextDouble() - 0.5) * 0.4)).ToArray();
        foreach (var c in _zeroed.GetValueOrDefault(name) ?? [])
        {
            Array.Clear(w, c * perChannel, perChannel);
            b[c] = 0;
        }

        var pad = kernel / 2;
        _builder.AddInitializer(name + ".w", w, channels, inputChannels, kernel, kernel)
            .AddInitializer(name + ".b", b, channels)
            .AddNode(
                "Conv",
                [input, name + ".w", name + ".b"],
                [output],
                [OnnxAttribute.Ints("kernel_shape", kernel, kernel), OnnxAttribute.Ints("pads", pad, pad, pad, pad), OnnxAttribute.Ints("strides", stride, stride), OnnxAttribute.Int("group", group)],
                name);
    }

    private void BatchNorm(string name, string input, string output, int channels)
    {
        float[] Values(double low, double high) => [.. Enumerable.Range(0, channels).Select(_ => (float)(low + (_random.NextDouble() * (high - low))))];
        _builder.AddInitializer(name + ".scale", Values(0.5, 1.5), channels)
            .AddInitializer(name + ".bias", Values(-0.2, 0.2), channels)
            .AddInitializer(name + ".mean", Values(-0.1, 0.1), channels)
            .AddInitializer(name + ".var", Values(0.5, 2), channels)
            .AddNode("BatchNormalization", [input, name + ".scale", name + ".bias", name + ".mean", name + ".var"], [output], name: name);
    }

    private void Gemm(string name, string input, string output, int inputs, int outputs) =>
        _builder.AddInitializer(name + ".w", Weights(outputs * inputs, inputs), outputs, inputs)
            .AddInitializer(name + ".b", Weights(outputs, inputs), outputs)
            .AddNode("Gemm", [input, name + ".w", name + ".b"], [output], [OnnxAttribute.Int("transB", 1)], name);

    private void Node(string opType, string[] inputs, string output, params OnnxAttribute[] attributes) =>
        _builder.AddNode(opType, inputs, [output], attributes, output + "_" + opType.ToLowerInvariant());

    private float[] Weights(int count, int fanIn) =>
        [.. Enumerable.Range(0, count).Select(_ => (float)(((_random.NextDouble() * 2) - 1) * Math.Sqrt(3.0 / fanIn)))];
}

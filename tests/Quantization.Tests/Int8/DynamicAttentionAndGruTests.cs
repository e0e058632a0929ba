using EdgeAI.Quantization.Calibration;
using EdgeAI.Quantization.Int8;
using EdgeAI.Quantization.Onnx;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using static EdgeAI.Quantization.Tests.Int8.DynamicQuantizerTests;
using static EdgeAI.Quantization.Tests.OrtHelper;

namespace EdgeAI.Quantization.Tests.Int8;

public sealed class DynamicAttentionAndGruTests
{
    private const int Batch = 2, Sequence = 8, Hidden = 32, Heads = 4, PaddedLength = 5;

    // Each Q/K/V element sums 32 products whose inputs are rounded independently: x in [-1, 1] to steps of 2/255
    // (DynamicQuantizeLinear) and w in ±1/√32 to steps of max|w|/127 (per column). Uniform rounding gives
    // σ ≈ √(32·((0.577·0.00139)² + (0.102·0.00784)²)/12) ≈ 0.0019 per element; the output mixes V rows with
    // softmax weights (a convex combination), so its error is of that size plus the small logit perturbation.
    // 0.02 is ten σ (the outputs peak near 0.4); this machine measured ≤ 0.0023 and cosine ≥ 0.99998.
    private const double MaxAbsError = 0.02;
    private const double MinCosine = 0.99;

    [Fact]
    public void Attention_becomes_QAttention_that_ONNX_Runtime_runs_close_to_fp32()
    {
        var model = Attention();
        var result = DynamicQuantizer.Quantize(model);

        Assert.Equal(["'attn' (Attention)"], result.QuantizedNodes);
        Assert.DoesNotContain(result.Model.Graph.Nodes, n => n.OpType == "Attention");
        var node = Assert.Single(result.Model.Graph.Nodes, n => n.OpType == "QAttention");
        Assert.Equal("com.microsoft", node.Domain);
        Assert.Equal(Heads, node.FindAttribute("num_heads")!.GetInt());
        Assert.Equal(9, node.Inputs.Count);
        Assert.Equal("mask", node.Inputs[5]);
        Assert.Equal(TensorElementType.Int8, result.Model.Graph.FindInitializer(node.Inputs[1])!.ElementType);
        Assert.Equal([(long)3 * Hidden], result.Model.Graph.FindInitializer(node.Inputs[4])!.Dims);
        Assert.Equal("DynamicQuantizeLinear", Assert.Single(result.Model.Graph.Nodes, n => n.Outputs.Contains(node.Inputs[0])).OpType);
        Assert.Null(result.Model.Graph.FindInitializer("W"));
        var fp32 = model.ToBytes();
        var int8 = result.Model.ToBytes();
        Assert.True(int8.Length < 0.4 * fp32.Length, $"{int8.Length} vs {fp32.Length} bytes");

        using var reference = new InferenceSession(fp32);
        using var candidate = new InferenceSession(int8);
        for (var seed = 0; seed < 4; seed++)
        {
            var x = Random(200 + seed, Batch * Sequence * Hidden, 1.0);
            var a = Run(reference, x);
            var b = Run(candidate, x);
            var maxAbs = a.Zip(b, (p, q) => Math.Abs(p - q)).Max();
            Assert.True(Cosine(a, b) >= MinCosine, $"seed {seed}: cosine {Cosine(a, b)}");
            Assert.True(maxAbs <= MaxAbsError, $"seed {seed}: max-abs {maxAbs}");
        }
    }

    // Independent check of the QAttention wiring: numpy redoes what the kernel computes from the stored int8 weight,
    // scales and mask (DynamicQuantizeLinear by the ONNX spec, integer GEMM, per-column dequantization, masked
    // softmax attention). Only float rounding separates the two, so the bound is 1e-4, far below the 0.0023 int8
    // error: a wrong scale, column order, zero point or dropped mask would show up as that error or larger.
    private const string Reference = """
        import sys, numpy as np, onnx
        from onnx import numpy_helper
        m = onnx.load(sys.argv[1])
        init = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
        node = next(n for n in m.graph.node if n.op_type == "QAttention")
        heads = next(a.i for a in node.attribute if a.name == "num_heads")
        w = init[node.input[1]].astype(np.int64)
        b = init[node.input[2]].astype(np.float64)
        ws = init[node.input[4]].astype(np.float64)
        x = np.load(sys.argv[2])
        lo, hi = min(0.0, float(x.min())), max(0.0, float(x.max()))
        scale = np.float32((hi - lo) / 255)
        zp = int(np.clip(np.round(-lo / scale), 0, 255))
        q = np.clip(np.round(x / scale) + zp, 0, 255).astype(np.int64)
        qkv = ((q - zp) @ w) * (float(scale) * ws) + b
        B, S, _ = qkv.shape
        H = w.shape[1] // 3
        d = H // heads
        qh, kh, vh = [qkv[..., i * H:(i + 1) * H].reshape(B, S, heads, d).transpose(0, 2, 1, 3) for i in range(3)]
        s = qh @ kh.transpose(0, 1, 3, 2) / np.sqrt(d)
        for bi, n in enumerate(int(v) for v in sys.argv[3].split(",")):
            s[bi, :, :, n:] += -10000.0
        p = np.exp(s - s.max(-1, keepdims=True))
        p /= p.sum(-1, keepdims=True)
        np.save(sys.argv[4], (p @ vh).transpose(0, 2, 1, 3).reshape(B, S, H).astype(np.float32))
        """;

    [Fact]
    public void QAttention_output_matches_numpy_recomputing_the_int8_kernel()
    {
        var result = DynamicQuantizer.Quantize(Attention());
        var dir = Directory.CreateTempSubdirectory("edgeai-qattention-");
        try
        {
            var model = Path.Combine(dir.FullName, "qattention.onnx");
            var input = Path.Combine(dir.FullName, "x.npy");
            var output = Path.Combine(dir.FullName, "y.npy");
            result.Model.Save(model);
            var x = Random(210, Batch * Sequence * Hidden, 1.0);
            NpyFile.Write(input, NpyArray.FromSingles(x, Batch, Sequence, Hidden));

            var (exit, text) = PythonReference.Run(PythonReference.FindPythonWithOnnx(), ["-c", Reference, model, input, $"{Sequence},{PaddedLength}", output]);
            Assert.True(exit == 0, text);

            using var session = new InferenceSession(model);
            var actual = Run(session, x);
            var expected = NpyFile.Read(output).ToSingleArray();
            Assert.Equal(expected.Length, actual.Length);
            var maxAbs = expected.Zip(actual, (p, q) => Math.Abs(p - q)).Max();
            Assert.True(maxAbs <= 1e-4, $"max |ORT - numpy| {maxAbs}");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Attention_excluded_by_op_type_stays_fp32()
    {
        var options = new DynamicQuantizationOptions();
        options.OpTypes.Remove("Attention");

        var result = DynamicQuantizer.Quantize(Attention(), options);

        Assert.Empty(result.QuantizedNodes);
        Assert.Single(result.Model.Graph.Nodes, n => n.OpType == "Attention");
        Assert.DoesNotContain(result.Model.Graph.Nodes, n => n.OpType is "QAttention" or "DynamicQuantizeLinear");
    }

    [Fact]
    public void Attention_with_an_attribute_QAttention_lacks_stays_fp32_with_a_reason()
    {
        var result = DynamicQuantizer.Quantize(Attention(OnnxAttribute.Ints("qkv_hidden_sizes", [Hidden, Hidden, Hidden])));

        Assert.Empty(result.QuantizedNodes);
        var reason = Assert.Single(result.SkippedNodes);
        Assert.Contains("'attn'", reason, StringComparison.Ordinal);
        Assert.Contains("qkv_hidden_sizes", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Gru_stays_fp32_with_the_reason_while_the_matmul_after_it_is_quantized()
    {
        var model = GruThenMatMul();
        var result = DynamicQuantizer.Quantize(model);

        Assert.Equal(["'fc' (MatMul)"], result.QuantizedNodes);
        Assert.Equal(["Node 'gru' (GRU): stays fp32: ONNX Runtime has no int8 GRU kernel."], result.SkippedNodes);
        Assert.Single(result.Model.Graph.Nodes, n => n.OpType == "GRU");

        using var reference = new InferenceSession(model.ToBytes());
        using var candidate = new InferenceSession(result.Model.ToBytes());
        var x = Random(300, 10 * Batch * 16, 1.0);
        using var input = OrtValue.CreateTensorValueFromMemory(x, [10, Batch, 16]);
        using var runOptions = new RunOptions();
        using var a = reference.Run(runOptions, ["x"], [input], ["y"]);
        using var b = candidate.Run(runOptions, ["x"], [input], ["y"]);
        var cosine = Cosine(a[0].GetTensorDataAsSpan<float>().ToArray(), b[0].GetTensorDataAsSpan<float>().ToArray());
        Assert.True(cosine > 0.999, $"cosine {cosine}");
    }

    internal static OnnxModel Attention(params OnnxAttribute[] extra) =>
        new OnnxGraphBuilder("attention")
            .Opset(17)
            .Opset(1, DynamicQuantizer.MicrosoftDomain)
            .AddInput("x", TensorElementType.Float, "N", Sequence, Hidden)
            .AddInput("mask", TensorElementType.Int32, "N")
            .AddInitializer("W", Random(20, Hidden * 3 * Hidden, 1 / Math.Sqrt(Hidden)), Hidden, 3 * Hidden)
            .AddInitializer("B", Random(21, 3 * Hidden, 0.1), 3 * Hidden)
            .AddNode("Attention", ["x", "W", "B", "mask"], ["y"], [OnnxAttribute.Int("num_heads", Heads), .. extra], name: "attn", domain: DynamicQuantizer.MicrosoftDomain)
            .AddOutput("y", TensorElementType.Float, "N", Sequence, Hidden)
            .Build();

    internal static OnnxModel GruThenMatMul() =>
        new OnnxGraphBuilder("gru")
            .Opset(17)
            .AddInput("x", TensorElementType.Float, "T", "N", 16)
            .AddInitializer("W", Random(30, 3 * Hidden * 16, 1 / Math.Sqrt(Hidden)), 1, 3 * Hidden, 16)
            .AddInitializer("R", Random(31, 3 * Hidden * Hidden, 1 / Math.Sqrt(Hidden)), 1, 3 * Hidden, Hidden)
            .AddInitializer("Wfc", Random(32, Hidden * 16, 1 / Math.Sqrt(Hidden)), Hidden, 16)
            .AddNode("GRU", ["x", "W", "R"], ["h"], [OnnxAttribute.Int("hidden_size", Hidden)], name: "gru")
            .AddNode("MatMul", ["h", "Wfc"], ["y"], name: "fc")
            .AddOutput("y", TensorElementType.Float, "T", 1, "N", 16)
            .Build();

    // Sequence lengths 8 and PaddedLength: the second batch row is right-padded, so mask_index reaches the kernel.
    private static float[] Run(InferenceSession session, float[] x)
    {
        using var input = OrtValue.CreateTensorValueFromMemory(x, [Batch, Sequence, Hidden]);
        using var mask = OrtValue.CreateTensorValueFromMemory(new[] { Sequence, PaddedLength }, [Batch]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["x", "mask"], [input, mask], ["y"]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }
}

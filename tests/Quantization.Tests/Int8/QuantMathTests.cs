using EdgeAI.Quantization.Int8;
using EdgeAI.Quantization.Onnx;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeAI.Quantization.Tests.Int8;

public sealed class QuantMathTests
{
    [Fact]
    public void UInt8_parameters_cover_the_range_widened_to_zero()
    {
        // [-1, 3]: scale 4/255, zero point round(1 / (4/255)) = round(63.75) = 64.
        var p = QuantMath.ComputeUInt8Asymmetric(-1f, 3f);
        Assert.Equal(4f / 255f, p.Scale, 1e-9f);
        Assert.Equal(64, p.ZeroPoint);

        // All positive: widened to [0, 5]; all negative: widened to [-4, 0].
        Assert.Equal(new QuantParameters(5f / 255f, 0), QuantMath.ComputeUInt8Asymmetric(2f, 5f));
        Assert.Equal(255, QuantMath.ComputeUInt8Asymmetric(-4f, -1f).ZeroPoint);
        Assert.Equal(new QuantParameters(1f, 0), QuantMath.ComputeUInt8Asymmetric(0f, 0f));
        Assert.Throws<ArgumentException>(() => QuantMath.ComputeUInt8Asymmetric(float.NaN, 1f));
        Assert.Throws<ArgumentException>(() => QuantMath.ComputeUInt8Asymmetric(2f, 1f));
    }

    [Fact]
    public void Per_channel_int8_weights_use_one_symmetric_scale_per_output_channel()
    {
        // Conv-style [2, 3] along axis 0: channel 0 absmax 1.0, channel 1 absmax 0.6.
        float[] w = [0.5f, -1.0f, 0.25f, 0.3f, 0.6f, -0.15f];
        var q = new sbyte[6];
        var scales = QuantMath.QuantizeInt8PerChannel(w, [2, 3], axis: 0, q);
        Assert.Equal([1f / 127f, 0.6f / 127f], scales);

        // 0.5 * 127 = 63.5 rounds to even 64; 0.25 * 127 = 31.75 -> 32; 0.3 / (0.6/127) = 63.5 -> 64.
        Assert.Equal([64, -127, 32, 64, 127, -32], q.Select(v => (int)v));

        // The same numbers as a MatMul weight [K=3, N=2] along axis 1 (columns are channels).
        float[] wt = [0.5f, 0.3f, -1.0f, 0.6f, 0.25f, -0.15f];
        var qt = new sbyte[6];
        Assert.Equal(scales, QuantMath.QuantizeInt8PerChannel(wt, [3, 2], axis: 1, qt));
        Assert.Equal([64, 64, -127, 127, 32, -32], qt.Select(v => (int)v));

        // An all-zero channel gets scale 1 and zeros.
        var zq = new sbyte[2];
        Assert.Equal([1f], QuantMath.QuantizeInt8PerChannel([0f, 0f], [1, 2], axis: 0, zq));
    }

    [Fact]
    public void Bias_is_int32_with_the_product_of_input_and_weight_scales()
    {
        var q = new int[2];
        var scales = QuantMath.QuantizeBias([0.5f, -0.25f], inputScale: 0.02f, weightScales: [0.01f, 0.005f], q);
        Assert.Equal(0.02f * 0.01f, scales[0]);
        Assert.Equal(0.02f * 0.005f, scales[1]);
        Assert.Equal([2500, -2500], q);
        Assert.Throws<ArgumentException>(() => QuantMath.QuantizeBias([1f, 2f, 3f], 1f, [1f, 2f], new int[3]));
    }

    [Fact]
    public void UInt8_quantize_and_dequantize_match_onnx_runtime_QuantizeLinear_and_DequantizeLinear()
    {
        var p = QuantMath.ComputeUInt8Asymmetric(-1f, 3f);

        // Random values, exact half-step ties (round half to even), and values outside the range (saturation).
        var random = new Random(11);
        var x = Enumerable.Range(0, 200).Select(_ => (float)((random.NextDouble() * 6) - 2))
            .Concat(Enumerable.Range(-70, 260).Select(k => (k + 0.5f) * p.Scale))
            .ToArray();

        var model = new OnnxGraphBuilder("q")
            .Opset(13)
            .AddInput("x", TensorElementType.Float, x.Length)
            .AddInitializer(OnnxTensor.FromSingles("s", [p.Scale]))
            .AddInitializer(OnnxTensor.FromUInt8s("z", [(byte)p.ZeroPoint]))
            .AddNode("QuantizeLinear", ["x", "s", "z"], ["q"])
            .AddNode("Cast", ["q"], ["qf"], [OnnxAttribute.Int("to", 1)])
            .AddNode("DequantizeLinear", ["q", "s", "z"], ["dq"])
            .AddOutput("qf", TensorElementType.Float, x.Length)
            .AddOutput("dq", TensorElementType.Float, x.Length)
            .ToBytes();
        var ort = OrtHelper.Run(model, ("x", x, [x.Length]));

        var q = new byte[x.Length];
        QuantMath.QuantizeUInt8(x, p, q);
        var dq = new float[x.Length];
        QuantMath.Dequantize(q, p, dq);

        var mismatches = Enumerable.Range(0, x.Length).Where(i => q[i] != ort["qf"][i]).ToList();
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {x.Length} quantized values differ from ONNX Runtime, first at x = {(mismatches.Count > 0 ? x[mismatches[0]] : 0)}");
        Assert.Contains(q, v => v == 0);
        Assert.Contains(q, v => v == 255);
        for (var i = 0; i < x.Length; i++)
        {
            Assert.True(Math.Abs(dq[i] - ort["dq"][i]) <= 1e-6f, $"dequantized {i}: {dq[i]} vs ONNX Runtime {ort["dq"][i]}");
        }
    }

    [Fact]
    public void Per_channel_int8_matches_onnx_runtime_per_axis_QuantizeLinear()
    {
        var random = new Random(5);
        var w = Enumerable.Range(0, 4 * 3 * 2 * 2).Select(_ => (float)((random.NextDouble() * 2) - 1) * 0.3f).ToArray();
        long[] dims = [4, 3, 2, 2];
        var q = new sbyte[w.Length];
        var scales = QuantMath.QuantizeInt8PerChannel(w, dims, axis: 0, q);

        var model = new OnnxGraphBuilder("pc")
            .Opset(13)
            .AddInput("w", TensorElementType.Float, 4, 3, 2, 2)
            .AddInitializer(OnnxTensor.FromSingles("s", scales, 4))
            .AddInitializer(OnnxTensor.FromInt8s("z", new sbyte[4], 4))
            .AddNode("QuantizeLinear", ["w", "s", "z"], ["q"], [OnnxAttribute.Int("axis", 0)])
            .AddNode("Cast", ["q"], ["qf"], [OnnxAttribute.Int("to", 1)])
            .AddOutput("qf", TensorElementType.Float, 4, 3, 2, 2)
            .ToBytes();
        var ort = OrtHelper.Run(model, ("w", w, dims))["qf"];

        Assert.Equal(ort, q.Select(v => (float)v).ToArray());
        Assert.Equal(4, Enumerable.Range(0, 4).Count(c => q.Skip(c * 12).Take(12).Any(v => Math.Abs((int)v) == 127)));
    }

    [Fact]
    public void Int8_activation_parameters_are_the_uint8_ones_shifted_by_128_and_onnx_runtime_agrees()
    {
        // Range [-1, 3]: scale 4/255, uint8 zero point round(1 / (4/255)) = round(63.75) = 64; int8 zero point 64 - 128 = -64.
        var u = QuantMath.ComputeAsymmetric(-1f, 3f, ActivationType.UInt8);
        var s = QuantMath.ComputeAsymmetric(-1f, 3f, ActivationType.Int8);
        Assert.Equal(4f / 255f, s.Scale, 1e-7f);
        Assert.Equal(64, u.ZeroPoint);
        Assert.Equal(-64, s.ZeroPoint);
        var (lo, hi) = QuantMath.RepresentableRange(s, ActivationType.Int8);
        Assert.Equal(-64 * 4f / 255f, lo, 1e-6f);
        Assert.Equal(191 * 4f / 255f, hi, 1e-6f);

        float[] x = [-1.2f, -1f, -0.31f, 0f, 0.5f, 2.99f, 3.4f];
        var q = new sbyte[x.Length];
        QuantMath.QuantizeInt8(x, s, q);
        var model = new OnnxGraphBuilder("q8")
            .Opset(13)
            .AddInput("x", TensorElementType.Float, x.Length)
            .AddInitializer(OnnxTensor.FromSingles("s", [s.Scale]))
            .AddInitializer(OnnxTensor.FromInt8s("z", [(sbyte)s.ZeroPoint]))
            .AddNode("QuantizeLinear", ["x", "s", "z"], ["q"])
            .AddNode("Cast", ["q"], ["qf"], [OnnxAttribute.Int("to", 1)])
            .AddOutput("qf", TensorElementType.Float, x.Length)
            .ToBytes();
        Assert.Equal(OrtHelper.Run(model, ("x", x, [x.Length]))["qf"], q.Select(v => (float)v).ToArray());
    }
}

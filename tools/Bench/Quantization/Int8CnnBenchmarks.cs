using BenchmarkDotNet.Attributes;
using EdgeAI.Quantization.Calibration;
using EdgeAI.Quantization.Int8;
using EdgeAI.Quantization.Onnx;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeAI.Bench.Quantization;

/// <summary>
/// fp32 against static int8 (QDQ, per-channel weights, uint8 activations) of a dense CNN in the same run, 3×64×64 input,
/// random weights, 16 calibration images. Narrow: three 3×3 Conv+ReLU layers of 32/64/64 channels (the last two
/// stride 2), Flatten, Gemm to 10. Wide: four 3×3 Conv+ReLU layers of 64/128/128/256 channels (the last three stride 2),
/// GlobalAveragePool, Gemm to 10. All sessions use one thread; the int8 ones disable QDQPropagationTransformer as the
/// quantizer's manifest variant says. A second int8 model keeps the first Conv (3 input channels, the layer int8 gains
/// least on) in fp32. Read the ratio column.
/// </summary>
public class Int8CnnBenchmarks
{
    private InferenceSession? _fp32;
    private InferenceSession? _int8;
    private InferenceSession? _int8FirstConvFp32;
    private OrtValue? _input;
    private RunOptions? _runOptions;

    /// <summary>Which network.</summary>
    [Params("narrow", "wide")]
    public string Network { get; set; } = "narrow";

    [GlobalSetup]
    public void Setup()
    {
        var model = Network == "wide" ? WideCnn() : Cnn();
        var samples = Enumerable.Range(0, 16)
            .Select(i => (IReadOnlyDictionary<string, NpyArray>)new Dictionary<string, NpyArray> { ["x"] = NpyArray.FromSingles(Image(i), 1, 3, 64, 64) })
            .ToList();
        var ranges = Calibrator.Calibrate(model, samples);
        var quantized = StaticQuantizer.Quantize(model, ranges).Model;
        var firstConvFp32 = new StaticQuantizationOptions();
        firstConvFp32.ExcludedNodes.Add("conv1");

        using var fp32Options = new SessionOptions { IntraOpNumThreads = 1 };
        using var int8Options = new SessionOptions { IntraOpNumThreads = 1 };
        int8Options.AddSessionConfigEntry("optimization.disable_specified_optimizers", "QDQPropagationTransformer");
        _fp32 = new InferenceSession(model.ToBytes(), fp32Options);
        _int8 = new InferenceSession(quantized.ToBytes(), int8Options);
        _int8FirstConvFp32 = new InferenceSession(StaticQuantizer.Quantize(model, ranges, firstConvFp32).Model.ToBytes(), int8Options);
        _input = OrtValue.CreateTensorValueFromMemory(Image(100), [1, 3, 64, 64]);
        _runOptions = new RunOptions();
    }

    [Benchmark(Baseline = true, Description = "fp32 CNN")]
    public float Fp32() => Run(_fp32!);

    [Benchmark(Description = "int8 CNN (static QDQ)")]
    public float Int8() => Run(_int8!);

    [Benchmark(Description = "int8 CNN, first Conv fp32")]
    public float Int8FirstConvFp32() => Run(_int8FirstConvFp32!);

    [GlobalCleanup]
    public void Cleanup()
    {
        _fp32?.Dispose();
        _int8?.Dispose();
        _int8FirstConvFp32?.Dispose();
        _input?.Dispose();
        _runOptions?.Dispose();
    }

    private float Run(InferenceSession session)
    {
        using var outputs = session.Run(_runOptions!, ["x"], [_input!], ["y"]);
        return outputs[0].GetTensorDataAsSpan<float>()[0];
    }

    private static OnnxModel Cnn()
    {
        var random = new Random(64);
        float[] W(int count, int fanIn) => [.. Enumerable.Range(0, count).Select(_ => (float)(((random.NextDouble() * 2) - 1) * Math.Sqrt(6.0 / fanIn)))];
        float[] B(int count) => [.. Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() - 0.5) * 0.2))];
        var pads = OnnxAttribute.Ints("pads", 1, 1, 1, 1);
        var stride2 = OnnxAttribute.Ints("strides", 2, 2);
        return new OnnxGraphBuilder("bench-cnn")
            .Opset(17)
            .AddInput("x", TensorElementType.Float, 1, 3, 64, 64)
            .AddInitializer("w1", W(32 * 27, 27), 32, 3, 3, 3).AddInitializer("b1", B(32), 32)
            .AddInitializer("w2", W(64 * 288, 288), 64, 32, 3, 3).AddInitializer("b2", B(64), 64)
            .AddInitializer("w3", W(64 * 576, 576), 64, 64, 3, 3).AddInitializer("b3", B(64), 64)
            .AddInitializer("w4", W(10 * 64 * 16 * 16, 64 * 16 * 16), 10, 64 * 16 * 16).AddInitializer("b4", B(10), 10)
            .AddNode("Conv", ["x", "w1", "b1"], ["c1"], [pads], name: "conv1")
            .AddNode("Relu", ["c1"], ["r1"], name: "relu1")
            .AddNode("Conv", ["r1", "w2", "b2"], ["c2"], [pads, stride2], name: "conv2")
            .AddNode("Relu", ["c2"], ["r2"], name: "relu2")
            .AddNode("Conv", ["r2", "w3", "b3"], ["c3"], [pads, stride2], name: "conv3")
            .AddNode("Relu", ["c3"], ["r3"], name: "relu3")
            .AddNode("Flatten", ["r3"], ["f"], [OnnxAttribute.Int("axis", 1)], name: "flatten")
            .AddNode("Gemm", ["f", "w4", "b4"], ["y"], [OnnxAttribute.Int("transB", 1)], name: "fc")
            .AddOutput("y", TensorElementType.Float, 1, 10)
            .Build();
    }

    private static OnnxModel WideCnn()
    {
        var random = new Random(65);
        float[] W(int count, int fanIn) => [.. Enumerable.Range(0, count).Select(_ => (float)(((random.NextDouble() * 2) - 1) * Math.Sqrt(6.0 / fanIn)))];
        float[] B(int count) => [.. Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() - 0.5) * 0.2))];
        int[] channels = [3, 64, 128, 128, 256];
        var builder = new OnnxGraphBuilder("bench-wide-cnn").Opset(17).AddInput("x", TensorElementType.Float, 1, 3, 64, 64);
        var x = "x";
        for (var i = 1; i < channels.Length; i++)
        {
            var (cin, cout) = (channels[i - 1], channels[i]);
            OnnxAttribute[] attributes = i == 1 ? [OnnxAttribute.Ints("pads", 1, 1, 1, 1)] : [OnnxAttribute.Ints("pads", 1, 1, 1, 1), OnnxAttribute.Ints("strides", 2, 2)];
            builder.AddInitializer($"w{i}", W(cout * cin * 9, cin * 9), cout, cin, 3, 3).AddInitializer($"b{i}", B(cout), cout)
                .AddNode("Conv", [x, $"w{i}", $"b{i}"], [$"c{i}"], attributes, name: $"conv{i}")
                .AddNode("Relu", [$"c{i}"], [$"r{i}"], name: $"relu{i}");
            x = $"r{i}";
        }

        return builder
            .AddInitializer("wf", W(10 * 256, 256), 10, 256).AddInitializer("bf", B(10), 10)
            .AddNode("GlobalAveragePool", [x], ["g"], name: "gap")
            .AddNode("Flatten", ["g"], ["f"], [OnnxAttribute.Int("axis", 1)], name: "flatten")
            .AddNode("Gemm", ["f", "wf", "bf"], ["y"], [OnnxAttribute.Int("transB", 1)], name: "fc")
            .AddOutput("y", TensorElementType.Float, 1, 10)
            .Build();
    }

    private static float[] Image(int seed)
    {
        var random = new Random(seed);
        var (fx, fy, phase) = (random.NextDouble() * 0.3, random.NextDouble() * 0.3, random.NextDouble() * 6);
        return [.. Enumerable.Range(0, 3 * 64 * 64).Select(i => (float)Math.Clamp(0.5 + (0.4 * Math.Sin((fx * (i % 64)) + (fy * (i / 64 % 64)) + phase + (i / 4096))) + ((random.NextDouble() - 0.5) * 0.1), 0, 1))];
    }
}

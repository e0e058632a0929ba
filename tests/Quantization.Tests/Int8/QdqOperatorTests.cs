using EdgeAI.Quantization.Calibration;
using EdgeAI.Quantization.Int8;
using EdgeAI.Quantization.Onnx;
using EdgeAI.TestSupport;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit.Abstractions;

namespace EdgeAI.Quantization.Tests.Int8;

/// <summary>
/// One small graph per operator: quantized, run next to fp32 in real ONNX Runtime sessions, and ONNX Runtime's own
/// optimized graph read back to check which int8 kernels it fused. A graph whose every operator is quantized must
/// come out with one QuantizeLinear (the model input) and one DequantizeLinear (the model output): anything more
/// would be an operator left in fp32 between Q/DQ pairs.
/// </summary>
public sealed class QdqOperatorTests(ITestOutputHelper output)
{
    // Agreement floors on 8 inputs (random weights, uint8 activations): worst cosine and the worst element error as a fraction
    // of the fp32 output's range (2% is about 5 uint8 steps, for two or three quantized operators in a row; measured at most 1.2%). The 8 inputs are part of
    // the calibration set, so the error is rounding alone, not clipping at a range calibrated on other inputs.
    // Measured values are printed by each test.
    private const double MinCosine = 0.995;
    private const double MaxErrorOfRange = 0.02;

    private static readonly long[] InputShape = [1, 4, 8, 8];
    private static readonly Dictionary<string, string> NoConfig = [];

    public static TheoryData<string> Cases => [.. Graphs.Keys];

    /// <summary>Each case: the graph after a first Conv (input "x" → "c", 8 channels, 8×8), the kernels ORT must fuse, and the ops that must be gone.</summary>
    private static readonly Dictionary<string, (Action<OnnxGraphBuilder> Body, string[] Fused, string[] Gone)> Graphs = new(StringComparer.Ordinal)
    {
        ["Conv+Relu"] = (g => g.AddNode("Relu", ["c"], ["y"]), ["QLinearConv"], ["Conv", "Relu"]),
        ["Conv+Clip"] = (g => g.AddInitializer("lo", [0f]).AddInitializer("hi", [1.5f]).AddNode("Clip", ["c", "lo", "hi"], ["y"]), ["QLinearConv"], ["Conv", "Clip"]),
        ["Gemm"] = (g => g.AddInitializer("gw", Weights(10 * 512, 3), 10, 512).AddInitializer("gb", Weights(10, 4), 10)
            .AddNode("Flatten", ["c"], ["f"]).AddNode("Gemm", ["f", "gw", "gb"], ["y"], [OnnxAttribute.Int("transB", 1)]), ["QGemm", "Flatten"], ["Gemm"]),
        ["MatMul"] = (g => g.AddInitializer("mw", Weights(8 * 5, 5), 8, 5).AddNode("MatMul", ["c", "mw"], ["y"]), ["QLinearMatMul"], ["MatMul"]),
        ["Add"] = (g => Conv(g, "c", "d", 8, seed: 11).AddNode("Add", ["c", "d"], ["y"]), ["QLinearAdd"], ["Add"]),
        ["Add constant"] = (g => g.AddInitializer("k", Weights(8, 12), 1, 8, 1, 1).AddNode("Add", ["c", "k"], ["y"]), ["QLinearAdd"], ["Add"]),
        ["Mul"] = (g => Conv(g, "c", "d", 8, seed: 13).AddNode("Mul", ["c", "d"], ["y"]), ["QLinearMul"], ["Mul"]),
        ["Mul by scalar (rescale)"] = (g => Conv(g.AddInitializer("half", [0.5f]).AddNode("Mul", ["c", "half"], ["m"]), "m", "y", 8, seed: 14), [], ["Mul"]),
        ["Div by scalar (rescale)"] = (g => Conv(g.AddInitializer("six", [6f]).AddNode("Div", ["c", "six"], ["m"]), "m", "y", 8, seed: 15), [], ["Div"]),
        ["Concat"] = (g => Conv(g, "c", "d", 8, seed: 16).AddNode("Concat", ["c", "d"], ["y"], [OnnxAttribute.Int("axis", 1)]), ["QLinearConcat"], ["Concat"]),
        ["AveragePool"] = (g => g.AddNode("AveragePool", ["c"], ["y"], [OnnxAttribute.Ints("kernel_shape", 2, 2), OnnxAttribute.Ints("strides", 2, 2)]), ["QLinearAveragePool"], ["AveragePool"]),
        ["GlobalAveragePool"] = (g => g.AddNode("GlobalAveragePool", ["c"], ["y"]), ["QLinearGlobalAveragePool"], ["GlobalAveragePool"]),
        ["MaxPool"] = (g => Conv(g.AddNode("MaxPool", ["c"], ["p"], [OnnxAttribute.Ints("kernel_shape", 2, 2), OnnxAttribute.Ints("strides", 2, 2)]), "p", "y", 8, seed: 17), ["MaxPool"], []),
        ["Resize"] = (g => Conv(g.AddInitializer("scales", [1f, 1f, 2f, 2f], 4).AddNode("Resize", ["c", "", "scales"], ["r"], [OnnxAttribute.String("mode", "nearest")]), "r", "y", 8, seed: 18), ["Resize"], []),
        ["Sigmoid"] = (g => g.AddNode("Sigmoid", ["c"], ["y"]), ["QLinearSigmoid"], ["Sigmoid"]),
        ["LeakyRelu"] = (g => g.AddNode("LeakyRelu", ["c"], ["y"], [OnnxAttribute.Float("alpha", 0.1f)]), ["QLinearLeakyRelu"], ["LeakyRelu"]),
        ["Softmax"] = (g => g.AddNode("Softmax", ["c"], ["y"], [OnnxAttribute.Int("axis", -1)]), ["QLinearSoftmax"], ["Softmax"]),
        ["Shape-only chain"] = (g => g
            .AddInitializer("shape", [1L, 64, 8], 3).AddInitializer("axes", [1L], 1).AddInitializer("starts", [0L], 1).AddInitializer("ends", [32L], 1)
            .AddInitializer("idx", [0L, 2, 4, 6], 4).AddInitializer("gw2", Weights(10 * 128, 19), 10, 128)
            .AddNode("Transpose", ["c"], ["t"], [OnnxAttribute.Ints("perm", 0, 2, 3, 1)])
            .AddNode("Reshape", ["t", "shape"], ["rs"])
            .AddNode("Unsqueeze", ["rs", "axes"], ["us"])
            .AddNode("Squeeze", ["us", "axes"], ["sq"])
            .AddNode("Slice", ["sq", "starts", "ends", "axes"], ["sl"])
            .AddNode("Gather", ["sl", "idx"], ["ga"], [OnnxAttribute.Int("axis", 2)])
            .AddNode("Flatten", ["ga"], ["fl"])
            .AddNode("Gemm", ["fl", "gw2"], ["y"], [OnnxAttribute.Int("transB", 1)]),
            ["Transpose", "Reshape", "Slice", "Gather", "Flatten", "QGemm"], []), // ORT drops the Unsqueeze/Squeeze pair itself
        ["Hard-swish (Add, Clip, Mul, Div)"] = (g => Conv(g
            .AddInitializer("three", [3f]).AddInitializer("zero", [0f]).AddInitializer("sixMax", [6f]).AddInitializer("six", [6f])
            .AddNode("Add", ["c", "three"], ["a"])
            .AddNode("Clip", ["a", "zero", "sixMax"], ["cl"])
            .AddNode("Mul", ["c", "cl"], ["m"])
            .AddNode("Div", ["m", "six"], ["h"]), "h", "y", 8, seed: 20),
            ["QLinearAdd", "QLinearMul"], ["Clip", "Div", "Add", "Mul"]),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Operator_is_fused_into_int8_kernels_and_agrees_with_fp32(string name)
    {
        var (body, fused, gone) = Graphs[name];
        var fp32 = Build(body);

        var (result, ops) = QuantizeAndOptimize(fp32, new StaticQuantizationOptions());

        Assert.Empty(result.SkippedNodes);
        output.WriteLine($"{name}: quantized {string.Join(", ", result.QuantizedNodes)}; ORT optimized graph: {string.Join(", ", ops)}");
        foreach (var op in fused)
        {
            Assert.Contains(op, ops);
        }

        foreach (var op in gone)
        {
            Assert.DoesNotContain(op, ops);
        }

        // Everything between the input's QuantizeLinear and the output's DequantizeLinear runs on int8 data.
        Assert.Equal(1, ops.Count(o => o == "QuantizeLinear"));
        Assert.Equal(1, ops.Count(o => o == "DequantizeLinear"));
        AssertAgrees(name, fp32, result.Model, NoConfig);
    }

    [Fact]
    public void Pass_through_operators_read_the_quantized_tensor_and_add_no_qdq_pair()
    {
        var fp32 = Build(Graphs["Shape-only chain"].Body);
        var calibration = Calibrate(fp32);

        var model = StaticQuantizer.Quantize(fp32, calibration).Model;

        var graph = model.Graph;
        foreach (var op in new[] { "Transpose", "Reshape", "Unsqueeze", "Squeeze", "Slice", "Gather", "Flatten" })
        {
            var node = graph.Nodes.Single(n => n.OpType == op);
            var producer = graph.FindProducer(node.Inputs[0]);
            Assert.Contains(producer?.OpType, (string[])["QuantizeLinear", "Transpose", "Reshape", "Unsqueeze", "Squeeze", "Slice", "Gather"]);
        }

        // One Q for the input, one after the Conv, one after the Gemm; none for the seven pass-through operators.
        Assert.Equal(3, graph.Nodes.Count(n => n.OpType == "QuantizeLinear"));
    }

    [Fact]
    public void HardSigmoid_after_conv_is_folded_by_preparation_and_then_into_the_int8_conv()
    {
        var fp32 = Build(g => g.AddNode("HardSigmoid", ["c"], ["y"], [OnnxAttribute.Float("alpha", 0.2f), OnnxAttribute.Float("beta", 0.5f)]));

        var (prepared, changes) = ModelPreparer.Prepare(fp32);

        Assert.Contains(changes, c => c.Contains("HardSigmoid", StringComparison.Ordinal));
        Assert.DoesNotContain(prepared.Graph.Nodes, n => n.OpType == "HardSigmoid");
        var x = Input(900);
        var expected = OrtHelper.Run(fp32.ToBytes(), ("x", x, InputShape))["y"];
        var actual = OrtHelper.Run(prepared.ToBytes(), ("x", x, InputShape))["y"];
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i], 1e-5); // alpha and beta move into the weights: float rounding only
        }

        var (result, ops) = QuantizeAndOptimize(prepared, new StaticQuantizationOptions());
        Assert.Equal(["QuantizeLinear", "QLinearConv", "DequantizeLinear"], ops);
        AssertAgrees("HardSigmoid", prepared, result.Model, NoConfig);
    }

    [Fact]
    public void Div_by_a_negative_or_non_scalar_constant_and_a_shared_conv_output_are_left_as_they_are()
    {
        // (q - z)·s / c with c < 0 would need a negative scale, and a per-channel divisor a per-channel scale: Div stays fp32.
        foreach (var divisor in new[] { new[] { -2f }, new[] { 1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f } })
        {
            var fp32 = Build(g => Conv(g.AddInitializer("k", divisor, divisor.Length == 1 ? [1] : [1, 8, 1, 1]).AddNode("Div", ["c", "k"], ["m"]), "m", "y", 8, seed: 30));
            var result = StaticQuantizer.Quantize(fp32, Calibrate(fp32));
            Assert.Contains(result.Model.Graph.Nodes, n => n.OpType == "Div");
            Assert.Contains(result.SkippedNodes, m => m.Contains("positive scalar constant", StringComparison.Ordinal));
            AssertAgrees($"Div by [{string.Join(", ", divisor)}]", fp32, result.Model, NoConfig);
        }

        // A Conv output read by the HardSigmoid and by a graph output cannot absorb alpha and beta.
        var shared = new OnnxGraphBuilder("shared").Opset(17).AddInput("x", TensorElementType.Float, InputShape.Select(d => (OnnxDimension)d).ToArray());
        Conv(shared, "x", "c", 4, seed: 1).AddNode("HardSigmoid", ["c"], ["y"]).AddOutput("y", TensorElementType.Float).AddOutput("c", TensorElementType.Float);
        var (prepared, changes) = ModelPreparer.Prepare(shared.Build());
        Assert.Contains(prepared.Graph.Nodes, n => n.OpType == "HardSigmoid");
        Assert.DoesNotContain(changes, c => c.Contains("HardSigmoid", StringComparison.Ordinal));
    }

    [Fact]
    public void Int8_activations_fuse_only_with_the_session_entry_the_options_report()
    {
        var fp32 = Build(Graphs["Add"].Body);
        var options = new StaticQuantizationOptions { ActivationType = ActivationType.Int8 };
        Assert.Equal("1", options.RequiredSessionConfig["session.qdqisint8allowed"]);

        var (result, withEntry) = QuantizeAndOptimize(fp32, options);
        var zeroPoints = result.Model.Graph.Nodes.Where(n => n.OpType == "QuantizeLinear").Select(n => result.Model.Graph.FindInitializer(n.Inputs[2])!.ElementType).Distinct();
        Assert.Equal([TensorElementType.Int8], zeroPoints);
        Assert.Equal(2, withEntry.Count(o => o == "QLinearConv"));
        Assert.Contains("QLinearAdd", withEntry);
        AssertAgrees("int8 activations", fp32, result.Model, options.RequiredSessionConfig);

        // x86 builds of ONNX Runtime leave int8-activation Conv unfused without the entry.
        var without = Optimize(result.Model, new Dictionary<string, string>());
        Assert.DoesNotContain("QLinearConv", without);
    }

    [Fact]
    public void ConvTranspose_is_quantized_on_request_and_runs_unfused_on_the_cpu_provider()
    {
        var fp32 = Build(g => g.AddInitializer("tw", Weights(8 * 4 * 9, 21), 8, 4, 3, 3).AddInitializer("tb", Weights(4, 22), 4)
            .AddNode("ConvTranspose", ["c", "tw", "tb"], ["y"], [OnnxAttribute.Ints("strides", 2, 2), OnnxAttribute.Ints("pads", 1, 1, 0, 0)], name: "ct"));
        Assert.DoesNotContain("ConvTranspose", new StaticQuantizationOptions().OpTypes);
        var options = new StaticQuantizationOptions();
        options.OpTypes.Add("ConvTranspose");

        var (result, ops) = QuantizeAndOptimize(fp32, options);

        Assert.Contains("'ct' (ConvTranspose)", result.QuantizedNodes);
        var dq = result.Model.Graph.Nodes.Single(n => n.OpType == "DequantizeLinear" && n.Inputs[0].StartsWith("tw", StringComparison.Ordinal));
        Assert.Equal(1, dq.FindAttribute("axis")!.GetInt());
        Assert.Equal([4L], result.Model.Graph.FindInitializer(dq.Inputs[1])!.Dims);
        Assert.Contains("ConvTranspose", ops); // ONNX Runtime 1.31's CPU provider has no QDQ fusion for it
        AssertAgrees("ConvTranspose", fp32, result.Model, NoConfig);
    }

    private (QuantizationResult Result, List<string> Ops) QuantizeAndOptimize(OnnxModel fp32, StaticQuantizationOptions options)
    {
        var result = StaticQuantizer.Quantize(fp32, Calibrate(fp32), options);
        Assert.Empty(result.Model.FindProblems());
        return (result, Optimize(result.Model, options.RequiredSessionConfig));
    }

    /// <summary>The node types of ONNX Runtime's optimized graph (extended level, QDQPropagationTransformer off as the manifest says).</summary>
    private static List<string> Optimize(OnnxModel model, IReadOnlyDictionary<string, string> config)
    {
        using var dir = new TempDirectory();
        using (var options = Session(config))
        {
            options.GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_EXTENDED;
            options.OptimizedModelFilePath = dir.File("optimized.onnx");
            using var session = new InferenceSession(model.ToBytes(), options);
        }

        return [.. OnnxModel.Load(dir.File("optimized.onnx")).Graph.GetTopologicalOrder().Select(n => n.OpType)];
    }

    private void AssertAgrees(string name, OnnxModel fp32, OnnxModel int8, IReadOnlyDictionary<string, string> config)
    {
        using var fp32Session = new InferenceSession(fp32.ToBytes());
        using var options = Session(config);
        using var int8Session = new InferenceSession(int8.ToBytes(), options);
        double worstCosine = 1, worstError = 0;
        for (var i = 0; i < 8; i++)
        {
            var x = Input(500 + i);
            var expected = Run(fp32Session, x);
            var actual = Run(int8Session, x);
            var range = expected.Max() - expected.Min();
            worstCosine = Math.Min(worstCosine, OrtHelper.Cosine(expected, actual));
            worstError = Math.Max(worstError, expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max() / range);
        }

        output.WriteLine($"{name}: worst cosine {worstCosine:F5}, worst element error {worstError:P2} of the output range");
        Assert.True(worstCosine >= MinCosine, $"{name}: worst cosine {worstCosine:F5} < {MinCosine}");
        Assert.True(worstError <= MaxErrorOfRange, $"{name}: worst element error {worstError:P2} of the range > {MaxErrorOfRange:P0}");
    }

    private static SessionOptions Session(IReadOnlyDictionary<string, string> config)
    {
        var options = new SessionOptions { IntraOpNumThreads = 1 };
        options.AddSessionConfigEntry("optimization.disable_specified_optimizers", "QDQPropagationTransformer");
        foreach (var (key, value) in config)
        {
            options.AddSessionConfigEntry(key, value);
        }

        return options;
    }

    private static CalibrationResult Calibrate(OnnxModel model) =>
        Calibrator.Calibrate(model, Enumerable.Range(0, 8).Concat(Enumerable.Range(500, 8)).Select(i => (IReadOnlyDictionary<string, NpyArray>)new Dictionary<string, NpyArray> { ["x"] = NpyArray.FromSingles(Input(i), InputShape) }));

    private static OnnxModel Build(Action<OnnxGraphBuilder> body)
    {
        var builder = new OnnxGraphBuilder("op").Opset(17).AddInput("x", TensorElementType.Float, InputShape.Select(d => (OnnxDimension)d).ToArray());
        Conv(builder, "x", "c", 4, seed: 1);
        body(builder);
        var model = builder.AddOutput("y", TensorElementType.Float).Build();
        foreach (var node in model.Graph.Nodes.Where(n => n.Name.Length == 0))
        {
            node.Proto.Name = node.Outputs[0] + "_" + node.OpType;
        }

        return model;
    }

    /// <summary>A 3×3 Conv (padding 1) from <paramref name="input"/> with <paramref name="inChannels"/> channels to 8 channels.</summary>
    private static OnnxGraphBuilder Conv(OnnxGraphBuilder g, string input, string output, int inChannels, int seed) => g
        .AddInitializer(output + ".w", Weights(8 * inChannels * 9, seed), 8, inChannels, 3, 3)
        .AddInitializer(output + ".b", Weights(8, seed + 100), 8)
        .AddNode("Conv", [input, output + ".w", output + ".b"], [output], [OnnxAttribute.Ints("pads", 1, 1, 1, 1)], name: output + "_conv");

    private static float[] Weights(int count, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2) - 1) * 0.4f)];
    }

    private static float[] Input(int seed) => Weights(4 * 8 * 8, seed * 7919);

    private static float[] Run(InferenceSession session, float[] x)
    {
        using var input = OrtValue.CreateTensorValueFromMemory(x, InputShape);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["x"], [input], ["y"]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }
}

using EdgeAI.Quantization.Int8;
using EdgeAI.Quantization.Onnx;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeAI.Quantization.Tests.Int8;

public sealed class IfSpecializerTests
{
    [Theory]
    [InlineData(16000L)]
    [InlineData(8000L)]
    public void The_branch_a_fixed_input_selects_replaces_the_If_and_computes_the_same(long sr)
    {
        var model = SampleRateModel();

        var (specialized, inlined) = IfSpecializer.Specialize(model, new Dictionary<string, long> { ["sr"] = sr });

        Assert.Equal(["'select' (If)"], inlined);
        Assert.DoesNotContain(specialized.Graph.Nodes, n => n.OpType is "If" or "Equal");
        Assert.Contains("sr", specialized.Graph.Inputs.Select(i => i.Name));
        var x = DynamicQuantizerTests.Random(5, 2 * 64, 1.0);
        Assert.Equal(Run(model, x, sr), Run(specialized, x, sr));
        // Hand check of which branch ran: 16000 -> x·W16, 8000 -> x·W8 (first element, double precision).
        var w = DynamicQuantizerTests.Random(sr == 16000 ? 21 : 22, 64 * 32, 0.2);
        var expected = Enumerable.Range(0, 64).Sum(k => (double)x[k] * w[k * 32]);
        Assert.Equal(expected, Run(specialized, x, sr)[0], 1e-4);

        var quantized = DynamicQuantizer.Quantize(specialized);
        Assert.Single(quantized.QuantizedNodes);
    }

    [Fact]
    public void A_condition_computed_from_a_fixed_shape_selects_the_branch()
    {
        var model = SampleRateModel(batchTest: true);
        var x = DynamicQuantizerTests.Random(6, 2 * 64, 1.0);

        var (specialized, inlined) = IfSpecializer.Specialize(model, new Dictionary<string, long>(), new Dictionary<string, long[]> { ["x"] = [2, 64] });

        Assert.Equal(["'select' (If)"], inlined);
        Assert.DoesNotContain(specialized.Graph.Nodes, n => n.OpType == "If");
        Assert.Equal(Run(model, x, 0), Run(specialized, x, 0));
    }

    [Fact]
    public void If_nodes_not_testing_a_fixed_input_are_kept()
    {
        var (specialized, inlined) = IfSpecializer.Specialize(SampleRateModel(), new Dictionary<string, long>());

        Assert.Empty(inlined);
        Assert.Contains(specialized.Graph.Nodes, n => n.OpType == "If");
    }

    /// <summary>y = sr == 16000 ? x·W16 : x·W8, with the branches as If subgraphs reading x and the weights from their own initializers.</summary>
    /// <remarks>With <paramref name="batchTest"/>, the condition is instead "batch size (Gather(Shape(x), 0)) == 2".</remarks>
    private static OnnxModel SampleRateModel(bool batchTest = false)
    {
        OnnxModel Branch(string name, int seed) => new OnnxGraphBuilder(name)
            .Opset(17)
            .AddInput("x", TensorElementType.Float, "N", 64)
            .AddInitializer($"{name}_W", DynamicQuantizerTests.Random(seed, 64 * 32, 0.2), 64, 32)
            .AddNode("MatMul", ["x", $"{name}_W"], [$"{name}_y"], name: $"{name}_matmul")
            .AddOutput($"{name}_y", TensorElementType.Float, "N", 32)
            .Build();

        var then = Branch("w16", 21);
        var otherwise = Branch("w8", 22);
        var builder = new OnnxGraphBuilder("sr-select")
            .Opset(17)
            .AddInput("x", TensorElementType.Float, "N", 64)
            .AddInput("sr", TensorElementType.Int64)
            .AddInitializer("k16000", [16000L])
            .AddInitializer("k0", [0L])
            .AddInitializer("k2", [2L]);
        builder = batchTest
            ? builder.AddNode("Shape", ["x"], ["shape"], name: "shape")
                .AddNode("Gather", ["shape", "k0"], ["batch"], name: "batch")
                .AddNode("Equal", ["batch", "k2"], ["is16k"], name: "is16k")
            : builder.AddNode("Equal", ["sr", "k16000"], ["is16k"], name: "is16k");
        var model = builder
            .AddNode("If", ["is16k"], ["y"], name: "select")
            .AddOutput("y", TensorElementType.Float, "N", 32)
            .Build();
        var node = model.Graph.Nodes.Single(n => n.OpType == "If");
        foreach (var (attribute, branch) in new[] { ("then_branch", then), ("else_branch", otherwise) })
        {
            var g = branch.Graph.Proto.Clone();
            g.Input.Clear(); // subgraphs take no inputs: x is read from the outer scope
            node.Proto.Attribute.Add(new EdgeAI.Quantization.Onnx.Proto.AttributeProto { Name = attribute, Type = EdgeAI.Quantization.Onnx.Proto.AttributeProto.Types.AttributeType.Graph, G = g });
        }

        model.Validate();
        return model;
    }

    private static float[] Run(OnnxModel model, float[] x, long sr)
    {
        using var session = new InferenceSession(model.ToBytes());
        using var xv = OrtValue.CreateTensorValueFromMemory(x, [2, 64]);
        using var srv = OrtValue.CreateTensorValueFromMemory(new[] { sr }, []);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["x", "sr"], [xv, srv], ["y"]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }
}

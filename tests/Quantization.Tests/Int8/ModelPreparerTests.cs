using EdgeAI.Quantization.Int8;
using EdgeAI.Quantization.Onnx;
using EdgeAI.Quantization.Onnx.Proto;
using TensorElementType = Microsoft.ML.OnnxRuntime.Tensors.TensorElementType;

namespace EdgeAI.Quantization.Tests.Int8;

public sealed class ModelPreparerTests
{
    [Fact]
    public void Slice_Concat_and_Unsqueeze_on_a_weight_fold_to_the_values_ONNX_Runtime_computes()
    {
        // y = x * Unsqueeze(Concat(W[2:6], W[0:2]; axis 0)) with x [1, 6, 4]: the gate-reordering pattern of PyTorch's LSTM export.
        var model = new OnnxGraphBuilder("fold")
            .Opset(17)
            .AddInput("x", TensorElementType.Float, 1, 6, 4)
            .AddInitializer("W", DynamicQuantizerTests.Random(9, 8 * 4, 1.0), 8, 4)
            .AddInitializer("s0", [2L], 1).AddInitializer("e0", [6L], 1).AddInitializer("s1", [0L], 1).AddInitializer("e1", [2L], 1)
            .AddInitializer("axis0", [0L], 1)
            .AddNode("Slice", ["W", "s0", "e0", "axis0"], ["a"], name: "slice_a")
            .AddNode("Slice", ["W", "s1", "e1", "axis0"], ["b"], name: "slice_b")
            .AddNode("Concat", ["a", "b"], ["c"], [OnnxAttribute.Int("axis", 0)], name: "concat")
            .AddNode("Unsqueeze", ["c", "axis0"], ["u"], name: "unsqueeze")
            .AddNode("Mul", ["x", "u"], ["y"], name: "mul")
            .AddOutput("y", TensorElementType.Float, 1, 6, 4)
            .Build();

        var (prepared, changes) = ModelPreparer.Prepare(model);

        Assert.Equal(["mul"], prepared.Graph.Nodes.Select(n => n.Name));
        Assert.Contains(changes, c => c.StartsWith("4 Identity/Unsqueeze", StringComparison.Ordinal));
        Assert.Equal([1L, 6, 4], prepared.Graph.FindInitializer("u")!.Dims);
        var x = DynamicQuantizerTests.Random(10, 24, 1.0);
        Assert.Equal(OrtHelper.Run(model.ToBytes(), ("x", x, [1, 6, 4]))["y"], OrtHelper.Run(prepared.ToBytes(), ("x", x, [1, 6, 4]))["y"]);
    }

    [Fact]
    public void Tensor_info_of_a_Constant_whose_tensor_has_no_name_uses_the_output_name()
    {
        var model = new OnnxGraphBuilder("constant")
            .Opset(17)
            .AddInput("x", TensorElementType.Float, 2)
            .AddNode("Constant", [], ["k"], name: "k")
            .AddNode("Add", ["x", "k"], ["y"], name: "add")
            .AddOutput("y", TensorElementType.Float, 2)
            .Build();
        var constant = model.Graph.Nodes.Single(n => n.OpType == "Constant");
        constant.Proto.Attribute.Add(new AttributeProto
        {
            Name = "value",
            Type = AttributeProto.Types.AttributeType.Tensor,
            T = new TensorProto { DataType = 1, Dims = { 2 }, FloatData = { 1f, 2f } },
        });

        var info = model.Graph.FindTensorInfo("k");

        Assert.NotNull(info);
        Assert.Equal("k", info.Name);
        Assert.Equal([2L], info.Shape!.Select(d => d.Value!.Value));
    }
}

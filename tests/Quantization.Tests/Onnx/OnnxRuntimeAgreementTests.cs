using EdgeAI.Quantization.Onnx;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeAI.Quantization.Tests.Onnx;

/// <summary>Models built here run in a real ONNX Runtime session and agree with hand-computed values.</summary>
public sealed class OnnxRuntimeAgreementTests
{
    // float32 accumulation of 4 products vs a double reference: a few ulps of values below 10.
    private const float Tolerance = 1e-5f;

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    [InlineData(14)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(18)]
    [InlineData(19)]
    [InlineData(20)]
    [InlineData(21)]
    public void Mlp_built_for_each_opset_runs_in_onnx_runtime_and_matches_hand_computation(int opset)
    {
        var bytes = TestModels.Mlp(opset).ToBytes();
        var model = OnnxModel.FromBytes(bytes);
        Assert.Equal(opset, model.GetOpset());
        Assert.Empty(model.FindProblems());

        var x = TestModels.Inputs(rows: 3, seed: opset);
        var y = OrtHelper.Run(model.ToBytes(), ("x", x, [3, 4]))["y"];

        AssertClose(TestModels.MlpByHand(x, 3), y, Tolerance);
        Assert.Contains(y, v => v == 0f);
        Assert.Contains(y, v => v > 0f);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    public void Dynamic_batch_dimension_accepts_any_row_count(int rows)
    {
        var x = TestModels.Inputs(rows, seed: 100 + rows);
        var y = OrtHelper.Run(TestModels.Mlp().ToBytes(), ("x", x, [rows, 4]))["y"];
        AssertClose(TestModels.MlpByHand(x, rows), y, Tolerance);
    }

    [Fact]
    public void Attributes_of_every_kind_reach_onnx_runtime()
    {
        // t = Transpose(x, perm=[1,0]) (ints); l = LeakyRelu(t, alpha=0.1) (float); c = Constant(value_floats) (floats);
        // pads = Constant(value=int64 tensor) (tensor); p = Pad(l + c, pads, mode="reflect") (string); y = Concat([p, p], axis=0) (int).
        var model = new OnnxGraphBuilder("attrs")
            .Opset(17)
            .AddInput("x", TensorElementType.Float, 2, 3)
            .AddNode("Transpose", ["x"], ["t"], [OnnxAttribute.Ints("perm", 1, 0)])
            .AddNode("LeakyRelu", ["t"], ["l"], [OnnxAttribute.Float("alpha", 0.1f)])
            .AddNode("Constant", [], ["c"], [OnnxAttribute.Floats("value_floats", 10f, 20f)])
            .AddNode("Add", ["l", "c"], ["a"])
            .AddNode("Constant", [], ["pads"], [OnnxAttribute.Tensor("value", OnnxTensor.FromInt64s("pads_value", [0, 1, 0, 1], 4))])
            .AddNode("Pad", ["a", "pads"], ["p"], [OnnxAttribute.String("mode", "reflect")])
            .AddNode("Concat", ["p", "p"], ["y"], [OnnxAttribute.Int("axis", 0)])
            .AddOutput("y", TensorElementType.Float, 6, 4)
            .Build();
        Assert.Empty(model.FindProblems());

        float[] x = [1, -2, 3, -4, 5, -6];
        var y = OrtHelper.Run(model.ToBytes(), ("x", x, [2, 3]))["y"];

        var expected = new float[6 * 4];
        for (var r = 0; r < 3; r++)
        {
            // Row r of the transpose is column r of x; LeakyRelu then the broadcast add of [10, 20].
            var a0 = Leaky(x[r]) + 10f;
            var a1 = Leaky(x[3 + r]) + 20f;
            float[] padded = [a1, a0, a1, a0];
            padded.CopyTo(expected, r * 4);
            padded.CopyTo(expected, (r + 3) * 4);
        }

        AssertClose(expected, y, 1e-6f);

        static float Leaky(float v) => v >= 0 ? v : 0.1f * v;
    }

    [Fact]
    public void Initializers_in_typed_fields_load_in_onnx_runtime_and_read_back_the_same()
    {
        var model = TestModels.Mlp().Build();
        var w = model.Graph.Proto.Initializer.Single(t => t.Name == "W");
        w.ClearRawData();
        w.FloatData.AddRange(TestModels.W);

        Assert.Equal(TestModels.W, model.Graph.FindInitializer("W")!.ToSingleArray());
        var x = TestModels.Inputs(rows: 2, seed: 5);
        var y = OrtHelper.Run(model.ToBytes(), ("x", x, [2, 4]))["y"];
        AssertClose(TestModels.MlpByHand(x, 2), y, Tolerance);
    }

    [Fact]
    public void Intermediates_exposed_as_outputs_give_their_values_and_shapes()
    {
        var model = TestModels.Mlp().Build();
        var probe = model.WithOutputs(["mm", "pre"]);
        Assert.Equal(["y", "mm", "pre"], probe.Graph.Outputs.Select(o => o.Name));
        Assert.Single(model.Graph.Outputs);

        var x = TestModels.Inputs(rows: 5, seed: 9);
        var outputs = OrtHelper.Run(probe.ToBytes(), ("x", x, [5, 4]));
        AssertClose(TestModels.MlpByHand(x, 5, addBias: false, relu: false), outputs["mm"], Tolerance);
        AssertClose(TestModels.MlpByHand(x, 5, addBias: true, relu: false), outputs["pre"], Tolerance);

        var shapes = OrtHelper.Shapes(probe.ToBytes(), ("x", x, [5, 4]));
        Assert.Equal([5L, 3L], shapes["mm"]);
    }

    [Fact]
    public void Renamed_output_and_inserted_node_run_in_onnx_runtime()
    {
        var model = TestModels.Mlp().Build();
        Assert.Equal(2, model.Graph.RenameTensor("y", "scores"));

        // Append y2 = Neg(scores) and expose it.
        model.Graph.AddNode("Neg", ["scores"], ["neg"], name: "neg");
        model.Graph.AddOutput("neg", TensorElementType.Float);
        Assert.Empty(model.FindProblems());

        var x = TestModels.Inputs(rows: 2, seed: 3);
        var outputs = OrtHelper.Run(model.ToBytes(), ("x", x, [2, 4]));
        var expected = TestModels.MlpByHand(x, 2);
        AssertClose(expected, outputs["scores"], Tolerance);
        AssertClose([.. expected.Select(v => -v)], outputs["neg"], Tolerance);
    }

    internal static void AssertClose(float[] expected, float[] actual, float tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"Element {i}: expected {expected[i]}, got {actual[i]} (tolerance {tolerance}).");
        }
    }
}

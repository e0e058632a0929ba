using EdgeAI.Quantization.Onnx;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeAI.Quantization.Tests.Onnx;

/// <summary>Small models and their hand-computed outputs.</summary>
internal static class TestModels
{
    // y = Relu(x · W + b), x: [N, 4], W: [4, 3], b: [3].
    public static readonly float[] W =
    [
        0.5f, -1.0f, 0.25f,
        1.5f, 0.75f, -0.5f,
        -2.0f, 0.125f, 1.0f,
        0.3f, -0.6f, 0.9f,
    ];

    public static readonly float[] B = [0.1f, -0.2f, 0.05f];

    public static OnnxGraphBuilder Mlp(long opset = 17) =>
        new OnnxGraphBuilder("mlp")
            .Opset(opset)
            .AddInput("x", TensorElementType.Float, "N", 4)
            .AddInitializer("W", W, 4, 3)
            .AddInitializer("b", B, 3)
            .AddNode("MatMul", ["x", "W"], ["mm"], name: "matmul")
            .AddNode("Add", ["mm", "b"], ["pre"], name: "add")
            .AddNode("Relu", ["pre"], ["y"], name: "relu")
            .AddOutput("y", TensorElementType.Float, "N", 3);

    /// <summary>x · W (+ b, then ReLU when <paramref name="relu"/>) in double precision, independent of any runtime.</summary>
    public static float[] MlpByHand(float[] x, int rows, bool addBias = true, bool relu = true)
    {
        var y = new float[rows * 3];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < 3; c++)
            {
                double sum = addBias ? B[c] : 0;
                for (var k = 0; k < 4; k++)
                {
                    sum += (double)x[(r * 4) + k] * W[(k * 3) + c];
                }

                y[(r * 3) + c] = relu ? (float)Math.Max(0, sum) : (float)sum;
            }
        }

        return y;
    }

    public static float[] Inputs(int rows, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, rows * 4).Select(_ => (float)((random.NextDouble() * 4) - 2))];
    }
}

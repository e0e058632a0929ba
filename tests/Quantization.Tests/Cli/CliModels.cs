using System.Security.Cryptography;
using EdgeAI.Inference;
using EdgeAI.Quantization.Calibration;
using EdgeAI.Quantization.Onnx;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeAI.Quantization.Tests.Cli;

/// <summary>Models, data sets and model directories the CLI tests run on, built in code.</summary>
internal static class CliModels
{
    /// <summary>x [N,1,8,8] → Conv(8)+ReLU → Conv(16, stride 2)+ReLU → Flatten → Gemm(32, transB)+ReLU → MatMul(10) → y.</summary>
    /// <param name="seed">Seeds the weights; tests that pin numbers pass their own.</param>
    public static OnnxModel Cnn(int seed = 77)
    {
        var random = new Random(seed);
        float[] Weights(int count, int fanIn) => [.. Enumerable.Range(0, count).Select(_ => (float)(((random.NextDouble() * 2) - 1) * Math.Sqrt(6.0 / fanIn)))];
        float[] Biases(int count) => [.. Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() - 0.5) * 0.2))];

        return new OnnxGraphBuilder("cnn")
            .Opset(17)
            .AddInput("x", TensorElementType.Float, "N", 1, 8, 8)
            .AddInitializer("w1", Weights(8 * 9, 9), 8, 1, 3, 3)
            .AddInitializer("b1", Biases(8), 8)
            .AddInitializer("w2", Weights(16 * 8 * 9, 72), 16, 8, 3, 3)
            .AddInitializer("b2", Biases(16), 16)
            .AddInitializer("w3", Weights(32 * 256, 256), 32, 256)
            .AddInitializer("b3", Biases(32), 32)
            .AddInitializer("w4", Weights(32 * 10, 32), 32, 10)
            .AddNode("Conv", ["x", "w1", "b1"], ["c1"], [OnnxAttribute.Ints("pads", 1, 1, 1, 1), OnnxAttribute.Ints("kernel_shape", 3, 3)], name: "conv1")
            .AddNode("Relu", ["c1"], ["r1"], name: "relu1")
            .AddNode("Conv", ["r1", "w2", "b2"], ["c2"], [OnnxAttribute.Ints("pads", 1, 1, 1, 1), OnnxAttribute.Ints("strides", 2, 2)], name: "conv2")
            .AddNode("Relu", ["c2"], ["r2"], name: "relu2")
            .AddNode("Flatten", ["r2"], ["flat"], [OnnxAttribute.Int("axis", 1)], name: "flatten")
            .AddNode("Gemm", ["flat", "w3", "b3"], ["g"], [OnnxAttribute.Int("transB", 1)], name: "fc")
            .AddNode("Relu", ["g"], ["r3"], name: "relu3")
            .AddNode("MatMul", ["r3", "w4"], ["y"], name: "head")
            .AddOutput("y", TensorElementType.Float, "N", 10)
            .Build();
    }

    /// <summary>A smooth 8×8 image with noise, in [0, 1].</summary>
    public static float[] Image(int seed)
    {
        var random = new Random(seed);
        var (fx, fy, phase) = (random.NextDouble() * 1.5, random.NextDouble() * 1.5, random.NextDouble() * 6);
        return [.. Enumerable.Range(0, 64).Select(i => (float)Math.Clamp(0.5 + (0.4 * Math.Sin((fx * (i % 8)) + (fy * (i / 8)) + phase)) + ((random.NextDouble() - 0.5) * 0.1), 0, 1))];
    }

    /// <summary>Writes <paramref name="count"/> images as <c>NNN.npy</c> files of shape [1,1,8,8]; returns the directory.</summary>
    public static string WriteImages(string directory, int firstSeed, int count)
    {
        Directory.CreateDirectory(directory);
        for (var i = 0; i < count; i++)
        {
            NpyFile.Write(Path.Combine(directory, $"{i:D3}.npy"), NpyArray.FromSingles(Image(firstSeed + i), 1, 1, 8, 8));
        }

        return directory;
    }

    /// <summary>A model directory with the CNN as <c>model.fp32.onnx</c> and a manifest naming it.</summary>
    public static string WriteModelDirectory(string directory)
    {
        Directory.CreateDirectory(directory);
        var file = Path.Combine(directory, "model.fp32.onnx");
        Cnn().Save(file);
        var bytes = File.ReadAllBytes(file);
        var manifest = new ModelManifest
        {
            Name = "cli-cnn",
            Version = "1.0.0",
            Task = "image-classification",
            Inputs = [new TensorSpec { Name = "x", Dtype = "float32", Shape = [-1, 1, 8, 8] }],
            Outputs = [new TensorSpec { Name = "y", Dtype = "float32", Shape = [-1, 10] }],
            Variants =
            [
                new ModelVariant
                {
                    Name = "fp32",
                    File = "model.fp32.onnx",
                    Sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes)),
                    SizeBytes = bytes.Length,
                    Session = new SessionSettings { IntraOpThreads = 1 },
                },
            ],
        };
        ModelManifestReader.Write(manifest, Path.Combine(directory, ModelManifest.FileName));
        return directory;
    }
}

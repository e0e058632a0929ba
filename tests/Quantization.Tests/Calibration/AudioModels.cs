using System.Security.Cryptography;
using System.Text.Json;
using EdgeAI.Inference;
using EdgeAI.Quantization.Calibration;
using EdgeAI.Quantization.Onnx;
using EdgeAI.Quantization.Tests.Cli;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeAI.Quantization.Tests.Calibration;

/// <summary>Small models over raw samples (and a picture), built in code, and model directories with their manifests.</summary>
internal static class AudioModels
{
    public static PreprocessingSpec WaveformSpec(int rate = 16000) => new() { Kind = "audio", Features = "waveform", SampleRate = rate };

    /// <summary>wave [1, 1, N] -> Conv1d 1->8 (k 64, s 16) -> Relu -> Conv1d 8->16 (k 5, s 4) -> Relu -> GlobalAveragePool -> Flatten -> Gemm 16->4.</summary>
    public static OnnxGraphBuilder KeywordSpotter(int samples, string input = "wave", string output = "logits")
    {
        return new OnnxGraphBuilder("raw-kws")
            .AddInput(input, TensorElementType.Float, 1, 1, samples)
            .AddInitializer("w1", Weights(8 * 64, 0.3f, 1), 8, 1, 64)
            .AddInitializer("b1", Weights(8, 0.05f, 2), 8)
            .AddInitializer("w2", Weights(16 * 8 * 5, 0.2f, 3), 16, 8, 5)
            .AddInitializer("b2", Weights(16, 0.05f, 4), 16)
            .AddInitializer("w3", Weights(16 * 4, 0.5f, 5), 16, 4)
            .AddInitializer("b3", Weights(4, 0.1f, 6), 4)
            .AddNode("Conv", [input, "w1", "b1"], ["c1"], [OnnxAttribute.Ints("kernel_shape", 64), OnnxAttribute.Ints("strides", 16)], name: "conv1")
            .AddNode("Relu", ["c1"], ["r1"], name: "relu1")
            .AddNode("Conv", ["r1", "w2", "b2"], ["c2"], [OnnxAttribute.Ints("kernel_shape", 5), OnnxAttribute.Ints("strides", 4)], name: "conv2")
            .AddNode("Relu", ["c2"], ["r2"], name: "relu2")
            .AddNode("GlobalAveragePool", ["r2"], ["gap"], name: "gap")
            .AddNode("Flatten", ["gap"], ["flat"], name: "flatten")
            .AddNode("Gemm", ["flat", "w3", "b3"], [output], name: "fc")
            .AddOutput(output, TensorElementType.Float, 1, 4);
    }

    /// <summary>Two inputs: image [1, 3, 16, 24] -> Conv 3->32 -> Relu -> GAP; wave [1, 1, 8000] -> Conv1d 1->32 -> Relu -> GAP; Concat -> Flatten -> Gemm 64->4.</summary>
    public static byte[] PictureAndSound() => new OnnxGraphBuilder("picture-and-sound")
        .AddInput("image", TensorElementType.Float, 1, 3, 16, 24)
        .AddInput("wave", TensorElementType.Float, 1, 1, 8000)
        .AddInitializer("wi", Weights(32 * 3 * 3 * 3, 0.3f, 11), 32, 3, 3, 3)
        .AddInitializer("ws", Weights(32 * 64, 0.3f, 12), 32, 1, 64)
        .AddInitializer("wf", Weights(64 * 4, 0.5f, 13), 64, 4)
        .AddInitializer("axis3", [3L], 1)
        .AddNode("Conv", ["image", "wi"], ["ci"], [OnnxAttribute.Ints("kernel_shape", 3, 3)], name: "image_conv")
        .AddNode("Relu", ["ci"], ["ri"], name: "image_relu")
        .AddNode("GlobalAveragePool", ["ri"], ["gi"], name: "image_gap")
        .AddNode("Conv", ["wave", "ws"], ["cs"], [OnnxAttribute.Ints("kernel_shape", 64), OnnxAttribute.Ints("strides", 16)], name: "sound_conv")
        .AddNode("Relu", ["cs"], ["rs"], name: "sound_relu")
        .AddNode("GlobalAveragePool", ["rs"], ["gs3"], name: "sound_gap")
        .AddNode("Unsqueeze", ["gs3", "axis3"], ["gs"], name: "sound_4d")
        .AddNode("Concat", ["gi", "gs"], ["both"], [OnnxAttribute.Int("axis", 1)], name: "concat")
        .AddNode("Flatten", ["both"], ["flat"], name: "flatten")
        .AddNode("Gemm", ["flat", "wf"], ["y"], name: "fc")
        .AddOutput("y", TensorElementType.Float, 1, 4)
        .ToBytes();

    /// <summary>Writes <paramref name="model"/> and a manifest with <paramref name="inputs"/> and <paramref name="preprocessing"/> into <paramref name="directory"/>.</summary>
    public static string WriteDirectory(string directory, byte[] model, TensorSpec[] inputs, PreprocessingSpec? preprocessing, string output = "logits")
    {
        Directory.CreateDirectory(directory);
        File.WriteAllBytes(Path.Combine(directory, "model.fp32.onnx"), model);
        var manifest = new ModelManifest
        {
            Name = "raw-audio",
            Version = "1.0.0",
            Task = "keyword-spotting",
            Inputs = inputs,
            Outputs = [new TensorSpec { Name = output, Dtype = "float32", Shape = [1, 4] }],
            Preprocessing = preprocessing,
            Variants = [new ModelVariant { Name = "fp32", File = "model.fp32.onnx", Sha256 = Convert.ToHexStringLower(SHA256.HashData(model)), SizeBytes = model.Length }],
        };
        ModelManifestReader.Write(manifest, Path.Combine(directory, ModelManifest.FileName));
        return directory;
    }

    /// <summary>
    /// Runs <c>quantize static</c> on <paramref name="modelDir"/> with <paramref name="data"/>, checks the report (sample
    /// count, <paramref name="nodes"/> quantized, progress on standard error), then that the int8 model agrees with fp32 on
    /// every calibration sample: cosine of <paramref name="output"/> ≥ 0.99.
    /// </summary>
    public static void QuantizeAndCompare(string modelDir, string data, int samples, string[] nodes, string output)
    {
        var int8Path = Path.Combine(modelDir, "model.int8.onnx");
        var fp32Path = Path.Combine(modelDir, "model.fp32.onnx");
        var (exit, stdout, stderr) = CliRunner.Run("quantize", "static", modelDir, "--calibration-data", data, "--out", int8Path, "--json");

        Assert.True(exit == 0, stderr);
        var report = JsonDocument.Parse(stdout).RootElement;
        Assert.Equal(samples, report.GetProperty("calibrationSamples").GetInt32());
        var quantized = report.GetProperty("quantizedNodes").EnumerateArray().Select(n => n.GetString()!).ToList();
        Assert.All(nodes, node => Assert.Contains(quantized, n => n.Contains($"'{node}'", StringComparison.Ordinal)));
        Assert.Contains($"calibration: {samples}/{samples} samples", stderr, StringComparison.Ordinal);
        Assert.True(new FileInfo(int8Path).Length < new FileInfo(fp32Path).Length);

        var model = OnnxModel.Load(fp32Path);
        var manifest = ModelManifestReader.Read(Path.Combine(modelDir, ModelManifest.FileName));
        foreach (var sample in CalibrationFolder.Open(data, model, manifest))
        {
            var inputs = sample.Select(s => (s.Key, s.Value.ToSingleArray(), s.Value.Shape.ToArray())).ToArray();
            var fp32 = OrtHelper.RunFile(fp32Path, inputs)[output];
            var int8 = OrtHelper.RunFile(int8Path, inputs)[output];
            Assert.InRange(OrtHelper.Cosine(fp32, int8), 0.99, 1.0 + 1e-9);
        }
    }

    private static float[] Weights(int count, float scale, int seed)
    {
        var w = new float[count];
        for (var i = 0; i < count; i++)
        {
            w[i] = MathF.Sin((i * 0.731f) + (seed * 1.37f)) * scale;
        }

        return w;
    }
}

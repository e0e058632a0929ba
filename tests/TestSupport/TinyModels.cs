using System.Runtime.InteropServices;
using EdgeAI.Inference;
using EdgeAI.Quantization.Onnx.Proto;
using Google.Protobuf;

namespace EdgeAI.TestSupport;

/// <summary>
/// Builds the small ONNX models the inference tests run: y = Relu(x · W + b) with fixed weights, written
/// through our own ONNX schema, with a manifest, a sample input and the expected output computed here
/// in plain C# (independently of ONNX Runtime).
/// </summary>
public static class TinyModels
{
    public const int InputSize = 4;
    public const int OutputSize = 3;

    // Fixed weights, row-major [InputSize, OutputSize]; chosen so that some outputs are cut by Relu.
    public static readonly float[] Weights =
    [
        0.5f, -1.0f, 0.25f,
        1.5f, 0.75f, -0.5f,
        -2.0f, 0.1f, 1.0f,
        0.3f, -0.6f, 0.9f,
    ];

    public static readonly float[] Bias = [0.1f, -0.2f, 0.05f];

    public static readonly float[] SampleInput = [1.0f, -2.0f, 0.5f, 3.0f];

    /// <summary>The reference computation: Relu(x · W + b) for each row of <paramref name="x"/>.</summary>
    public static float[] Reference(ReadOnlySpan<float> x)
    {
        var rows = x.Length / InputSize;
        var y = new float[rows * OutputSize];
        for (var r = 0; r < rows; r++)
        {
            for (var j = 0; j < OutputSize; j++)
            {
                double acc = Bias[j];
                for (var i = 0; i < InputSize; i++)
                {
                    acc += x[(r * InputSize) + i] * Weights[(i * OutputSize) + j];
                }

                y[(r * OutputSize) + j] = (float)Math.Max(acc, 0);
            }
        }

        return y;
    }

    /// <summary>The ONNX bytes of the linear model; <paramref name="batch"/> -1 leaves the batch open.</summary>
    public static byte[] LinearModelBytes(long batch = -1, bool inputIsInt64 = false)
    {
        var graph = new GraphProto { Name = "tiny_linear" };
        graph.Input.Add(ValueInfo("x", inputIsInt64 ? TensorProto.Types.DataType.Int64 : TensorProto.Types.DataType.Float, batch, InputSize));
        graph.Output.Add(ValueInfo("y", TensorProto.Types.DataType.Float, batch, OutputSize));
        graph.Initializer.Add(FloatTensor("W", Weights, InputSize, OutputSize));
        graph.Initializer.Add(FloatTensor("b", Bias, OutputSize));
        graph.Node.Add(Node("MatMul", ["x", "W"], ["xw"]));
        graph.Node.Add(Node("Add", ["xw", "b"], ["z"]));
        graph.Node.Add(Node("Relu", ["z"], ["y"]));
        var model = new ModelProto
        {
            IrVersion = 8,
            ProducerName = "edgeai-tests",
            ProducerVersion = "1",
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        return model.ToByteArray();
    }

    /// <summary>
    /// Writes a complete model directory (manifest, fp32 variant, sample input and expected output)
    /// into <paramref name="directory"/> and returns the manifest.
    /// </summary>
    public static ModelManifest WriteLinearModelDirectory(string directory, string name = "tiny-linear", string? description = null)
    {
        Directory.CreateDirectory(directory);
        Directory.CreateDirectory(Path.Combine(directory, "sample"));
        var bytes = LinearModelBytes();
        File.WriteAllBytes(Path.Combine(directory, "model.fp32.onnx"), bytes);
        File.WriteAllBytes(Path.Combine(directory, "sample", "x.bin"), MemoryMarshal.AsBytes(SampleInput.AsSpan()).ToArray());
        var expected = Reference(SampleInput);
        File.WriteAllBytes(Path.Combine(directory, "sample", "fp32.y.bin"), MemoryMarshal.AsBytes(expected.AsSpan()).ToArray());
        var manifest = new ModelManifest
        {
            Name = name,
            Version = "1.0.0",
            Task = "regression",
            Description = description ?? "Relu(x*W+b) with fixed weights; the inference core's test model.",
            Inputs = [new TensorSpec { Name = "x", Dtype = "float32", Shape = [-1, InputSize] }],
            Outputs = [new TensorSpec { Name = "y", Dtype = "float32", Shape = [-1, OutputSize] }],
            Thresholds = new() { ["alarm"] = 0.5 },
            Variants =
            [
                new ModelVariant
                {
                    Name = "fp32",
                    File = "model.fp32.onnx",
                    Sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)),
                    SizeBytes = bytes.Length,
                    Session = new SessionSettings { IntraOpThreads = 1 },
                },
            ],
            Sample = new SampleSpec
            {
                Inputs = new() { ["x"] = "sample/x.bin" },
                Expected = [new ExpectedOutput { Variant = "fp32", Output = "y", File = "sample/fp32.y.bin", Tolerance = 1e-6 }],
            },
        };
        ModelManifestReader.Write(manifest, Path.Combine(directory, ModelManifest.FileName));
        return manifest;
    }

    private static ValueInfoProto ValueInfo(string name, TensorProto.Types.DataType type, params long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            shape.Dim.Add(d < 0 ? new TensorShapeProto.Types.Dimension { DimParam = "batch" } : new TensorShapeProto.Types.Dimension { DimValue = d });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }

    private static TensorProto FloatTensor(string name, float[] values, params long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.AddRange(dims);
        t.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan()));
        return t;
    }

    private static NodeProto Node(string op, string[] inputs, string[] outputs)
    {
        var n = new NodeProto { OpType = op, Name = op + "_" + outputs[0] };
        n.Input.AddRange(inputs);
        n.Output.AddRange(outputs);
        return n;
    }
}

using EdgeAI.Quantization.Onnx;
using EdgeAI.TestSupport;
using Google.Protobuf;

namespace EdgeAI.Quantization.Tests.Onnx;

public sealed class OnnxRoundTripTests
{
    [Fact]
    public void Bytes_round_trip_is_identical()
    {
        var bytes = TestModels.Mlp().ToBytes();
        var again = OnnxModel.FromBytes(bytes).ToBytes();
        Assert.Equal(bytes, again);
    }

    [Fact]
    public void Unknown_fields_at_model_and_graph_level_survive_load_and_save()
    {
        var model = TestModels.Mlp().Build();

        // A graph with an extra field 99 (length-delimited) that this schema does not name.
        var unknownInGraph = Field(99, [.. "future graph field"u8]);
        var graphBytes = model.Graph.Proto.ToByteArray().Concat(unknownInGraph).ToArray();

        // The model without its graph, then the edited graph as field 7, then an unknown varint field 1000.
        var header = model.Proto.Clone();
        header.Graph = null;
        var unknownInModel = VarintField(1000, 150);
        var hostile = header.ToByteArray()
            .Concat(Field(7, graphBytes))
            .Concat(unknownInModel)
            .ToArray();

        using var dir = new TempDirectory();
        File.WriteAllBytes(dir.File("in.onnx"), hostile);
        var loaded = OnnxModel.Load(dir.File("in.onnx"));
        loaded.Save(dir.File("out.onnx"));
        var saved = File.ReadAllBytes(dir.File("out.onnx"));

        Assert.True(Contains(saved, unknownInGraph), "the graph's unknown field is missing from the saved bytes");
        Assert.True(Contains(saved, unknownInModel), "the model's unknown field is missing from the saved bytes");

        // Serialization is canonical after one pass: load + save again changes nothing.
        Assert.Equal(saved, OnnxModel.FromBytes(saved).ToBytes());
        Assert.Equal(TestModels.W, OnnxModel.FromBytes(saved).Graph.FindInitializer("W")!.ToSingleArray());
    }

    [Fact]
    public void Save_and_load_through_a_file_and_a_stream_keep_the_model()
    {
        using var dir = new TempDirectory();
        var path = dir.File("mlp.onnx");
        TestModels.Mlp().Save(path);

        var fromFile = OnnxModel.Load(path);
        using var stream = File.OpenRead(path);
        var fromStream = OnnxModel.Load(stream);

        Assert.Equal(File.ReadAllBytes(path), fromFile.ToBytes());
        Assert.Equal(fromFile.ToBytes(), fromStream.ToBytes());
        Assert.Equal(path, fromFile.ModelPath);
        Assert.Equal(8, fromFile.IrVersion);
        Assert.Equal(["matmul", "add", "relu"], fromFile.Graph.Nodes.Select(n => n.Name));
        Assert.Equal(new long[] { 4, 3 }, fromFile.Graph.FindInitializer("W")!.Dims);
        Assert.Equal(Directory.GetFiles(dir.Path).Select(Path.GetFileName), ["mlp.onnx"]);
    }

    [Fact]
    public void External_data_is_written_next_to_the_model_and_read_back_by_us_and_onnx_runtime()
    {
        using var dir = new TempDirectory();
        var weights = Enumerable.Range(0, 64 * 64).Select(i => (float)Math.Sin(i)).ToArray();
        var builder = new OnnxGraphBuilder("big")
            .AddInput("x", Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float, 1, 64)
            .AddInitializer("W", weights, 64, 64)
            .AddInitializer("b", new float[64], 64)
            .AddNode("MatMul", ["x", "W"], ["mm"])
            .AddNode("Add", ["mm", "b"], ["y"])
            .AddOutput("y", Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float, 1, 64);
        var path = dir.File("big.onnx");
        builder.Save(path, new OnnxSaveOptions { ExternalDataFile = "big.weights", ExternalDataThreshold = 1024 });

        Assert.True(new FileInfo(path).Length < 1024, "weights should not be inside the model file");
        Assert.True(new FileInfo(dir.File("big.weights")).Length >= 64 * 64 * 4);

        var loaded = OnnxModel.Load(path);
        var w = loaded.Graph.FindInitializer("W")!;
        Assert.True(w.IsExternal);
        Assert.False(loaded.Graph.FindInitializer("b")!.IsExternal);
        Assert.Equal(weights, w.ToSingleArray());

        var x = Enumerable.Range(0, 64).Select(i => i / 64f).ToArray();
        var y = OrtHelper.RunFile(path, ("x", x, [1, 64]))["y"];
        for (var c = 0; c < 64; c++)
        {
            double sum = 0;
            for (var k = 0; k < 64; k++)
            {
                sum += (double)x[k] * weights[(k * 64) + c];
            }

            Assert.True(Math.Abs(sum - y[c]) < 1e-4, $"column {c}: expected {sum}, ORT gave {y[c]}");
        }

        // From memory, ONNX Runtime needs the data inside the bytes.
        var fromBytes = OrtHelper.Run(loaded.ToSelfContainedBytes(), ("x", x, [1, 64]))["y"];
        Assert.Equal(y, fromBytes);
        Assert.Equal(loaded.ToBytes().Length, new FileInfo(path).Length);
        Assert.True(loaded.ToSelfContainedBytes().Length > 64 * 64 * 4);

        // Saving elsewhere without external data brings the bytes inside the file.
        using var other = new TempDirectory();
        loaded.Save(other.File("inline.onnx"));
        var inline = OnnxModel.Load(other.File("inline.onnx"));
        Assert.False(inline.Graph.FindInitializer("W")!.IsExternal);
        Assert.Equal(weights, inline.Graph.FindInitializer("W")!.ToSingleArray());
    }

    [Fact]
    public void Saving_in_place_over_its_own_external_data_keeps_the_loaded_model_readable()
    {
        using var dir = new TempDirectory();
        var path = dir.File("m.onnx");
        var big = Enumerable.Range(0, 600).Select(i => i * 0.25f).ToArray();
        var small = Enumerable.Range(0, 300).Select(i => -i * 0.5f).ToArray();
        new OnnxGraphBuilder()
            .AddInitializer("small", small, 300)
            .AddInitializer("big", big, 600)
            .Save(path, new OnnxSaveOptions { ExternalDataFile = "m.data", ExternalDataThreshold = 1000 });
        var model = OnnxModel.Load(path);
        Assert.True(model.Graph.FindInitializer("small")!.IsExternal);

        // Rewrite the same data file with another layout: 'small' now stays inline, 'big' moves to offset 0.
        model.Save(path, new OnnxSaveOptions { ExternalDataFile = "m.data", ExternalDataThreshold = 2000 });

        Assert.False(model.Graph.FindInitializer("small")!.IsExternal);
        Assert.Equal(small, model.Graph.FindInitializer("small")!.ToSingleArray());
        Assert.Equal(big, model.Graph.FindInitializer("big")!.ToSingleArray());
        var reloaded = OnnxModel.Load(path);
        Assert.Equal(big, reloaded.Graph.FindInitializer("big")!.ToSingleArray());
        Assert.Equal(small, reloaded.Graph.FindInitializer("small")!.ToSingleArray());
        Assert.Equal(model.ToBytes(), reloaded.ToBytes());
    }

    private static byte[] Field(int number, byte[] payload) => Encode(output =>
    {
        output.WriteTag(number, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(payload));
    });

    private static byte[] VarintField(int number, ulong value) => Encode(output =>
    {
        output.WriteTag(number, WireFormat.WireType.Varint);
        output.WriteUInt64(value);
    });

    private static byte[] Encode(Action<CodedOutputStream> write)
    {
        using var buffer = new MemoryStream();
        using (var output = new CodedOutputStream(buffer, leaveOpen: true))
        {
            write(output);
        }

        return buffer.ToArray();
    }

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}

using System.Diagnostics;
using EdgeAI.Quantization.Onnx;
using EdgeAI.Quantization.Onnx.Proto;
using EdgeAI.TestSupport;
using Google.Protobuf;
using DataType = EdgeAI.Quantization.Onnx.Proto.TensorProto.Types.DataType;

namespace EdgeAI.Quantization.Tests.Onnx;

/// <summary>Every malformed file fails fast with an <see cref="OnnxFormatException"/> that says what is wrong.</summary>
public sealed class OnnxHostileInputTests
{
    [Fact]
    public void Truncated_model_is_refused_at_load_or_by_validate_at_every_cut()
    {
        var bytes = TestModels.Mlp().ToBytes();
        var refusedAtLoad = 0;
        for (var length = 0; length < bytes.Length; length++)
        {
            try
            {
                var model = OnnxModel.FromBytes(bytes.AsSpan(0, length));

                // A cut exactly between two top-level fields is a well-formed, smaller message: it must then fail validation.
                Assert.Throws<OnnxFormatException>(model.Validate);
            }
            catch (OnnxFormatException)
            {
                refusedAtLoad++;
            }
        }

        Assert.True(refusedAtLoad > bytes.Length * 9 / 10, $"only {refusedAtLoad} of {bytes.Length} cuts were refused at load");

        var ex = Assert.Throws<OnnxFormatException>(() => OnnxModel.FromBytes(bytes.AsSpan(0, bytes.Length / 2)));
        Assert.Contains("not a valid ONNX protobuf", ex.Message, StringComparison.Ordinal);
        Assert.IsType<InvalidProtocolBufferException>(ex.InnerException);
    }

    [Fact]
    public void Random_bytes_are_refused_with_a_format_error()
    {
        var random = new Random(1234);
        for (var i = 0; i < 2000; i++)
        {
            var bytes = new byte[random.Next(0, 512)];
            random.NextBytes(bytes);
            var ex = Record.Exception(() => OnnxModel.FromBytes(bytes));
            Assert.True(ex is OnnxFormatException, $"case {i} ({bytes.Length} bytes): {ex?.GetType().Name ?? "no exception"}: {ex?.Message}");
        }
    }

    [Fact]
    public void Mutated_models_either_load_and_read_consistently_or_fail_with_a_format_error()
    {
        // Byte flips in a real model reach the tensor and graph checks, not just the protobuf parser.
        var original = TestModels.Mlp().ToBytes();
        var random = new Random(99);
        var loaded = 0;
        for (var i = 0; i < 3000; i++)
        {
            var bytes = (byte[])original.Clone();
            for (var flips = random.Next(1, 4); flips > 0; flips--)
            {
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            }

            var ex = Record.Exception(() =>
            {
                var model = OnnxModel.FromBytes(bytes);
                loaded++;
                _ = model.FindProblems();
                foreach (var tensor in model.Graph.Initializers)
                {
                    _ = tensor.ToRawBytes();
                    _ = tensor.ToSingleArray();
                }

                foreach (var name in model.Graph.Nodes.SelectMany(n => n.Inputs.Concat(n.Outputs)))
                {
                    _ = model.Graph.FindTensorInfo(name);
                }
            });
            Assert.True(ex is null or OnnxFormatException, $"case {i}: {ex?.GetType().Name}: {ex?.Message}");
        }

        Assert.InRange(loaded, 1, 2999);
    }

    [Fact]
    public void Deeply_nested_messages_hit_the_recursion_limit_instead_of_the_stack()
    {
        // value_info whose type is a sequence of a sequence of ... 2000 levels deep.
        var type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1 } };
        for (var i = 0; i < 2000; i++)
        {
            type = new TypeProto { SequenceType = new TypeProto.Types.Sequence { ElemType = type } };
        }

        var model = TestModels.Mlp().Build();
        model.Graph.Proto.ValueInfo.Add(new ValueInfoProto { Name = "deep", Type = type });
        var bytes = model.ToBytes();

        var ex = Assert.Throws<OnnxFormatException>(() => OnnxModel.FromBytes(bytes));
        Assert.Contains("recursion", ex.Message, StringComparison.OrdinalIgnoreCase);

        // A generous limit reads the same file.
        var loaded = OnnxModel.FromBytes(bytes, new OnnxLoadOptions { RecursionLimit = 5000 });
        Assert.Equal(3, loaded.Graph.Nodes.Count);
    }

    [Fact]
    public void Huge_declared_dims_with_tiny_data_fail_fast_without_allocating()
    {
        var model = TestModels.Mlp().Build();
        var huge = new TensorProto { Name = "huge", DataType = (int)DataType.Float, RawData = ByteString.CopyFrom(new byte[16]) };
        huge.Dims.AddRange([1L << 20, 1L << 20]);
        model.Graph.Proto.Initializer.Add(huge);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var watch = Stopwatch.StartNew();
        var ex = Assert.Throws<OnnxFormatException>(() => OnnxModel.FromBytes(model.ToBytes()));
        Assert.True(watch.ElapsedMilliseconds < 2000, $"took {watch.ElapsedMilliseconds} ms");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20, "allocated more than 1 MiB to reject it");
        Assert.Contains("'huge' has 16 bytes of raw_data; FLOAT [1048576, 1048576] needs 4398046511104", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Dims_whose_product_overflows_or_that_are_negative_are_refused()
    {
        var overflow = new TensorProto { Name = "big", DataType = (int)DataType.Float, RawData = ByteString.CopyFrom(new byte[4]) };
        overflow.Dims.AddRange([1L << 40, 1L << 40]);
        Assert.Contains("'big' has dims [1099511627776, 1099511627776], more than 2^63", LoadWith(overflow).Message, StringComparison.Ordinal);

        var bytes = new TensorProto { Name = "bytes", DataType = (int)DataType.Double, RawData = ByteString.CopyFrom(new byte[4]) };
        bytes.Dims.AddRange([1L << 31, 1L << 31]);
        Assert.Contains("more than 2^63 bytes", LoadWith(bytes).Message, StringComparison.Ordinal);

        var negative = new TensorProto { Name = "neg", DataType = (int)DataType.Float };
        negative.Dims.AddRange([-1, 4]);
        Assert.Contains("'neg' has dims [-1, 4]; expected non-negative", LoadWith(negative).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_mismatched_or_doubled_initializer_data_is_refused_by_name()
    {
        var missing = new TensorProto { Name = "empty", DataType = (int)DataType.Float };
        missing.Dims.AddRange([2, 2]);
        Assert.Contains("'empty' (FLOAT [2, 2]) has no data; expected raw_data, float_data or external_data with 4 elements", LoadWith(missing).Message, StringComparison.Ordinal);

        var shortRaw = new TensorProto { Name = "short", DataType = (int)DataType.Int64, RawData = ByteString.CopyFrom(new byte[12]) };
        shortRaw.Dims.Add(2);
        Assert.Contains("'short' has 12 bytes of raw_data; INT64 [2] needs 16", LoadWith(shortRaw).Message, StringComparison.Ordinal);

        var shortTyped = new TensorProto { Name = "few", DataType = (int)DataType.Float };
        shortTyped.Dims.Add(3);
        shortTyped.FloatData.AddRange([1f, 2f]);
        Assert.Contains("'few' has 2 entries in float_data; FLOAT [3] needs 3", LoadWith(shortTyped).Message, StringComparison.Ordinal);

        var wrongField = new TensorProto { Name = "wrong", DataType = (int)DataType.Int64 };
        wrongField.Dims.Add(1);
        wrongField.FloatData.Add(1f);
        Assert.Contains("'wrong' is INT64 but stores its data in float_data; expected int64_data", LoadWith(wrongField).Message, StringComparison.Ordinal);

        var both = new TensorProto { Name = "both", DataType = (int)DataType.Float, RawData = ByteString.CopyFrom(new byte[4]) };
        both.Dims.Add(1);
        both.FloatData.Add(1f);
        Assert.Contains("'both' stores data in both raw_data and float_data", LoadWith(both).Message, StringComparison.Ordinal);

        var unknownType = new TensorProto { Name = "odd", DataType = 99, RawData = ByteString.CopyFrom(new byte[4]) };
        Assert.Contains("'odd' has data_type 99", LoadWith(unknownType).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_tensor_in_a_constant_node_names_the_node_and_attribute()
    {
        var model = TestModels.Mlp().Build();
        var value = new TensorProto { Name = "cv", DataType = (int)DataType.Float, RawData = ByteString.CopyFrom(new byte[3]) };
        value.Dims.Add(1);
        model.Graph.Proto.Node.Add(new NodeProto
        {
            Name = "const",
            OpType = "Constant",
            Output = { "c" },
            Attribute = { new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = value } },
        });

        var ex = Assert.Throws<OnnxFormatException>(() => OnnxModel.FromBytes(model.ToBytes()));
        Assert.Contains("Node 'const' (Constant), attribute 'value': Tensor 'cv' has 3 bytes of raw_data; FLOAT [1] needs 4", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_tensor_inside_a_subgraph_is_found()
    {
        var model = TestModels.Mlp().Build();
        var bad = new TensorProto { Name = "inner", DataType = (int)DataType.Float, RawData = ByteString.CopyFrom(new byte[2]) };
        bad.Dims.Add(1);
        var body = new GraphProto { Name = "then", Initializer = { bad } };
        model.Graph.Proto.Node.Add(new NodeProto
        {
            Name = "branch",
            OpType = "If",
            Input = { "cond" },
            Output = { "o" },
            Attribute = { new AttributeProto { Name = "then_branch", Type = AttributeProto.Types.AttributeType.Graph, G = body } },
        });

        var ex = Assert.Throws<OnnxFormatException>(() => OnnxModel.FromBytes(model.ToBytes()));
        Assert.Contains("'inner' has 2 bytes of raw_data; FLOAT [1] needs 4", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Protobuf_without_a_graph_or_ir_version_is_refused()
    {
        var noGraph = new ModelProto { IrVersion = 8 }.ToByteArray();
        Assert.Contains("has no graph", Assert.Throws<OnnxFormatException>(() => OnnxModel.FromBytes(noGraph)).Message, StringComparison.Ordinal);

        var noIr = new ModelProto { Graph = new GraphProto() }.ToByteArray();
        Assert.Contains("ir_version missing", Assert.Throws<OnnxFormatException>(() => OnnxModel.FromBytes(noIr)).Message, StringComparison.Ordinal);

        Assert.Contains("has no graph", Assert.Throws<OnnxFormatException>(() => OnnxModel.FromBytes([])).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Model_larger_than_the_limit_is_refused_before_parsing()
    {
        using var dir = new TempDirectory();
        var path = dir.File("m.onnx");
        TestModels.Mlp().Save(path);
        var options = new OnnxLoadOptions { MaxModelBytes = 64 };
        var ex = Assert.Throws<OnnxFormatException>(() => OnnxModel.Load(path, options));
        Assert.Contains("at most 64 are accepted (OnnxLoadOptions.MaxModelBytes)", ex.Message, StringComparison.Ordinal);
        Assert.Equal(path, ex.Path);

        using var stream = File.OpenRead(path);
        Assert.Throws<OnnxFormatException>(() => OnnxModel.Load(stream, options));
        Assert.Throws<ArgumentException>(() => OnnxModel.Load(path, new OnnxLoadOptions { RecursionLimit = 0 }));
    }

    [Theory]
    [InlineData("../outside.bin")]
    [InlineData("sub/../../outside.bin")]
    [InlineData("/etc/passwd")]
    [InlineData("C:\\Windows\\win.ini")]
    [InlineData("..\\outside.bin")]
    public void External_data_outside_the_model_directory_is_refused(string location)
    {
        using var root = new TempDirectory();
        var modelDir = Path.Combine(root.Path, "model");
        Directory.CreateDirectory(modelDir);
        File.WriteAllBytes(Path.Combine(root.Path, "outside.bin"), new byte[48]);
        var path = Path.Combine(modelDir, "m.onnx");
        File.WriteAllBytes(path, WithExternalW(location, offset: null, length: null));

        var ex = Assert.Throws<OnnxFormatException>(() => OnnxModel.Load(path));
        Assert.Contains($"Tensor 'W': external_data location '{location}'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("outside", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void External_data_link_leading_out_of_the_directory_is_refused()
    {
        using var root = new TempDirectory();
        var modelDir = Directory.CreateDirectory(Path.Combine(root.Path, "model")).FullName;
        File.WriteAllBytes(Path.Combine(root.Path, "secret.bin"), new byte[48]);
        File.CreateSymbolicLink(Path.Combine(modelDir, "w.bin"), Path.Combine(root.Path, "secret.bin"));
        var path = Path.Combine(modelDir, "m.onnx");
        File.WriteAllBytes(path, WithExternalW("w.bin", offset: null, length: null));

        var ex = Assert.Throws<OnnxFormatException>(() => OnnxModel.Load(path));
        Assert.Contains("is a link to", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void External_data_with_a_bad_range_missing_file_or_no_directory_is_refused()
    {
        using var dir = new TempDirectory();
        File.WriteAllBytes(dir.File("w.bin"), new byte[64]);

        var path = dir.File("m.onnx");
        File.WriteAllBytes(path, WithExternalW("w.bin", offset: 32, length: 48));
        Assert.Contains("runs past the end of 'w.bin' (64 bytes)", Assert.Throws<OnnxFormatException>(() => OnnxModel.Load(path)).Message, StringComparison.Ordinal);

        File.WriteAllBytes(path, WithExternalW("w.bin", offset: 0, length: 40));
        Assert.Contains("holds 40 bytes", Assert.Throws<OnnxFormatException>(() => OnnxModel.Load(path)).Message, StringComparison.Ordinal);

        File.WriteAllBytes(path, WithExternalW("absent.bin", offset: null, length: null));
        Assert.Contains("'absent.bin' does not exist", Assert.Throws<OnnxFormatException>(() => OnnxModel.Load(path)).Message, StringComparison.Ordinal);

        File.WriteAllBytes(path, WithExternalW("w.bin", offset: -4, length: 48));
        Assert.Contains("'offset' is '-4'; expected a non-negative integer", Assert.Throws<OnnxFormatException>(() => OnnxModel.Load(path)).Message, StringComparison.Ordinal);

        // In range and of the right length: loads, and reads the 48 bytes at offset 16.
        File.WriteAllBytes(path, WithExternalW("w.bin", offset: 16, length: 48));
        Assert.Equal(12, OnnxModel.Load(path).Graph.FindInitializer("W")!.ToSingleArray().Length);

        var fromMemory = Assert.Throws<OnnxFormatException>(() => OnnxModel.FromBytes(File.ReadAllBytes(path)));
        Assert.Contains("ExternalDataDirectory", fromMemory.Message, StringComparison.Ordinal);
        var withDirectory = OnnxModel.FromBytes(File.ReadAllBytes(path), new OnnxLoadOptions { ExternalDataDirectory = dir.Path });
        Assert.Equal(12, withDirectory.Graph.FindInitializer("W")!.ToSingleArray().Length);
    }

    [Fact]
    public void Save_options_refuse_an_external_file_outside_the_directory()
    {
        var ex = Assert.Throws<ArgumentException>(() => TestModels.Mlp().Build().Save("/tmp/x.onnx", new OnnxSaveOptions { ExternalDataFile = "../w.bin" }));
        Assert.Contains("OnnxSaveOptions.ExternalDataFile is '../w.bin'", ex.Message, StringComparison.Ordinal);
    }

    private static OnnxFormatException LoadWith(TensorProto tensor)
    {
        var model = TestModels.Mlp().Build();
        model.Graph.Proto.Initializer.Add(tensor);
        return Assert.Throws<OnnxFormatException>(() => OnnxModel.FromBytes(model.ToBytes()));
    }

    /// <summary>The MLP with W (12 floats, 48 bytes) moved to external data at the given location.</summary>
    private static byte[] WithExternalW(string location, long? offset, long? length)
    {
        var model = TestModels.Mlp().Build();
        var w = model.Graph.Proto.Initializer.Single(t => t.Name == "W");
        w.ClearRawData();
        w.DataLocation = TensorProto.Types.DataLocation.External;
        w.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
        if (offset is not null)
        {
            w.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.Value.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        }

        if (length is not null)
        {
            w.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = length.Value.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        }

        return model.ToBytes();
    }
}

using System.Security.Cryptography;
using System.Text.Json.Nodes;
using EdgeAI.Inference;
using EdgeAI.TestSupport;

namespace EdgeAI.Sdk.Tests.Inference;

public sealed class EdgeModelTests : IDisposable
{
    // float32 outputs of a 4x3 matmul against a double-precision reference: a few ulps.
    private const float Tolerance = 1e-5f;
    private readonly TempDirectory _dir = new();

    public EdgeModelTests() => TinyModels.WriteLinearModelDirectory(_dir.Path);

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Run_matches_independent_reference()
    {
        using var model = EdgeModel.Load(_dir.Path);
        using var runner = model.CreateRunner();
        runner.SetInput<float>(0, TinyModels.SampleInput);
        runner.Run();

        var expected = TinyModels.Reference(TinyModels.SampleInput);
        var actual = runner.Output<float>(0).ToArray();
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.InRange(actual[i], expected[i] - Tolerance, expected[i] + Tolerance);
        }

        // The sample is chosen so Relu cuts at least one value: the graph really ran, not an identity.
        Assert.Contains(0f, actual);
        Assert.Contains(actual, v => v > 0);
    }

    [Fact]
    public void Runner_with_batch_shape_runs_every_row()
    {
        var x = new float[8 * TinyModels.InputSize];
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = MathF.Sin(i * 0.7f) * 3;
        }

        using var model = EdgeModel.Load(_dir.Path);
        using var runner = model.CreateRunner(new Dictionary<string, long[]>
        {
            ["x"] = [8, TinyModels.InputSize],
            ["y"] = [8, TinyModels.OutputSize],
        });
        Assert.Equal([8L, TinyModels.InputSize], runner.InputShape(0).ToArray());
        runner.SetInput<float>(0, x);
        runner.Run();

        var expected = TinyModels.Reference(x);
        var actual = runner.Output<float>("y").ToArray();
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.InRange(actual[i], expected[i] - Tolerance, expected[i] + Tolerance);
        }
    }

    [Fact]
    public void Run_allocates_no_managed_memory_after_warm_up()
    {
        using var model = EdgeModel.Load(_dir.Path);
        using var runner = model.CreateRunner();
        var input = runner.Input<float>(0);
        TinyModels.SampleInput.CopyTo(input);
        for (var i = 0; i < 5; i++)
        {
            runner.Run();
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 200; i++)
        {
            runner.Input<float>(0)[0] = i * 0.01f;
            runner.Run();
            _ = runner.Output<float>(0)[0];
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Runners_on_one_shared_model_run_concurrently()
    {
        using var model = EdgeModel.Load(_dir.Path);
        var failures = 0;
        Parallel.For(0, 4, t =>
        {
            using var runner = model.CreateRunner();
            for (var k = 0; k < 200; k++)
            {
                float[] x = [t, k * 0.1f, -t * 0.5f, 1];
                runner.SetInput<float>(0, x);
                runner.Run();
                var expected = TinyModels.Reference(x);
                var actual = runner.Output<float>(0);
                for (var i = 0; i < expected.Length; i++)
                {
                    if (MathF.Abs(actual[i] - expected[i]) > Tolerance)
                    {
                        Interlocked.Increment(ref failures);
                    }
                }
            }
        });
        Assert.Equal(0, failures);
    }

    [Fact]
    public void Input_of_wrong_length_is_refused_and_runner_stays_usable()
    {
        using var model = EdgeModel.Load(_dir.Path);
        using var runner = model.CreateRunner();
        var ex = Assert.Throws<InputShapeException>(() => runner.SetInput<float>(0, new float[3]));
        Assert.Equal("x", ex.TensorName);
        Assert.Equal(4, ex.ExpectedLength);
        Assert.Equal(3, ex.ActualLength);
        Assert.Contains("takes 4 float32 values", ex.Message, StringComparison.Ordinal);

        runner.SetInput<float>(0, TinyModels.SampleInput);
        runner.Run();
        Assert.Equal(TinyModels.Reference(TinyModels.SampleInput)[0], runner.Output<float>(0)[0], Tolerance);
    }

    [Fact]
    public void Input_accessed_as_wrong_element_type_is_refused()
    {
        using var model = EdgeModel.Load(_dir.Path);
        using var runner = model.CreateRunner();
        var ex = Assert.Throws<InputShapeException>(() => runner.Input<long>(0));
        Assert.Contains("float32", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Shape_that_does_not_fit_declared_shape_is_refused()
    {
        using var model = EdgeModel.Load(_dir.Path);
        var ex = Assert.Throws<InputShapeException>(() => model.CreateRunner(new Dictionary<string, long[]> { ["x"] = [2, 5] }));
        Assert.Contains("[2,5]", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_directory_manifest_and_model_file_each_name_the_path()
    {
        var missingDir = Path.Combine(_dir.Path, "nope");
        var e1 = Assert.Throws<DirectoryNotFoundException>(() => EdgeModel.Load(missingDir));
        Assert.Contains(missingDir, e1.Message, StringComparison.Ordinal);

        using var other = new TempDirectory();
        var e2 = Assert.Throws<FileNotFoundException>(() => EdgeModel.Load(other.Path));
        Assert.Equal(Path.Combine(other.Path, "manifest.json"), e2.FileName);

        File.Delete(_dir.File("model.fp32.onnx"));
        var e3 = Assert.Throws<FileNotFoundException>(() => EdgeModel.Load(_dir.Path));
        Assert.Equal(_dir.File("model.fp32.onnx"), e3.FileName);
    }

    [Fact]
    public void Changed_byte_is_a_hash_mismatch()
    {
        var path = _dir.File("model.fp32.onnx");
        var bytes = File.ReadAllBytes(path);
        bytes[^5] ^= 0x40;
        File.WriteAllBytes(path, bytes);

        var ex = Assert.Throws<ModelIntegrityException>(() => EdgeModel.Load(_dir.Path));
        Assert.Equal(path, ex.Path);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), ex.Actual);
        Assert.Contains("SHA-256", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_file_is_a_size_mismatch()
    {
        var path = _dir.File("model.fp32.onnx");
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);

        var ex = Assert.Throws<ModelIntegrityException>(() => EdgeModel.Load(_dir.Path));
        Assert.Equal(bytes.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Expected);
        Assert.Contains("truncated", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("garbage")]
    [InlineData("empty-graph")]
    public void Corrupt_onnx_with_matching_hash_is_a_format_error(string kind)
    {
        var good = TinyModels.LinearModelBytes();
        byte[] bad = kind switch
        {
            "truncated" => good[..(good.Length * 2 / 3)],
            "garbage" => Enumerable.Range(0, 300).Select(i => (byte)((i * 73) + 11)).ToArray(),
            _ => [0x08, 0x08], // ir_version = 8 and nothing else
        };
        RewriteVariant(bad);

        var ex = Assert.Throws<ModelFormatException>(() => EdgeModel.Load(_dir.Path));
        Assert.Equal(_dir.File("model.fp32.onnx"), ex.Path);
        Assert.Contains("not a loadable ONNX model", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Manifest_shape_that_differs_from_graph_is_a_contract_error()
    {
        EditManifest(m => m["inputs"]![0]!["shape"] = new JsonArray(-1, 5));
        var ex = Assert.Throws<ModelContractException>(() => EdgeModel.Load(_dir.Path));
        Assert.Equal("x", ex.TensorName);
        Assert.Contains("[-1,5]", ex.Message, StringComparison.Ordinal);
        Assert.Contains("[-1,4]", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Manifest_dtype_that_differs_from_graph_is_a_contract_error()
    {
        EditManifest(m => m["outputs"]![0]!["dtype"] = "int64");
        var ex = Assert.Throws<ModelContractException>(() => EdgeModel.Load(_dir.Path));
        Assert.Equal("y", ex.TensorName);
        Assert.Contains("int64", ex.Message, StringComparison.Ordinal);
        Assert.Contains("float32", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Manifest_naming_an_unknown_input_is_a_contract_error()
    {
        EditManifest(m =>
        {
            m["inputs"]![0]!["name"] = "image";
            m["sample"]!["inputs"] = new JsonObject { ["image"] = "sample/x.bin" };
        });
        var ex = Assert.Throws<ModelContractException>(() => EdgeModel.Load(_dir.Path));
        Assert.Equal("image", ex.TensorName);
        Assert.Contains("graph's inputs are: x", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_variant_lists_the_ones_there_are()
    {
        var ex = Assert.Throws<ModelFormatException>(() => EdgeModel.Load(_dir.Path, new EdgeModelOptions { Variant = "int8" }));
        Assert.Contains("no variant 'int8'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("fp32", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Session_settings_from_the_manifest_are_applied()
    {
        EditManifest(m => m["variants"]![0]!["session"] = new JsonObject
        {
            ["intraOpThreads"] = 1,
            ["graphOptimizationLevel"] = "basic",
            ["disabledOptimizers"] = new JsonArray("QDQPropagationTransformer"),
        });
        using var model = EdgeModel.Load(_dir.Path);
        Assert.Equal("basic", model.Variant.Session.GraphOptimizationLevel);
        using var runner = model.CreateRunner();
        runner.SetInput<float>(0, TinyModels.SampleInput);
        runner.Run();
        Assert.Equal(TinyModels.Reference(TinyModels.SampleInput)[2], runner.Output<float>(0)[2], Tolerance);
    }

    [Fact]
    public void Options_are_validated_naming_the_setting()
    {
        var ex = Assert.Throws<ArgumentException>(() => EdgeModel.Load(_dir.Path, new EdgeModelOptions { IntraOpThreads = 0 }));
        Assert.Contains("IntraOpThreads", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Disposed_model_refuses_new_runners()
    {
        var model = EdgeModel.Load(_dir.Path);
        model.Dispose();
        model.Dispose();
        Assert.Throws<ObjectDisposedException>(() => model.CreateRunner());
    }

    private void RewriteVariant(byte[] bytes)
    {
        File.WriteAllBytes(_dir.File("model.fp32.onnx"), bytes);
        EditManifest(m =>
        {
            m["variants"]![0]!["sha256"] = Convert.ToHexStringLower(SHA256.HashData(bytes));
            m["variants"]![0]!["sizeBytes"] = bytes.Length;
        });
    }

    private void EditManifest(Action<JsonNode> edit)
    {
        var path = _dir.File("manifest.json");
        var node = JsonNode.Parse(File.ReadAllText(path))!;
        edit(node);
        File.WriteAllText(path, node.ToJsonString());
    }
}

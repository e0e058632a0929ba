using System.Text;
using EdgeAI.Inference;
using EdgeAI.TestSupport;

namespace EdgeAI.Sdk.Tests.Inference;

public sealed class ModelManifestReaderTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly string _validJson;

    public ModelManifestReaderTests()
    {
        TinyModels.WriteLinearModelDirectory(_dir.Path);
        _validJson = File.ReadAllText(_dir.File("manifest.json"));
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Written_manifest_reads_back_equal()
    {
        var m = ModelManifestReader.Read(_dir.File("manifest.json"));
        Assert.Equal("tiny-linear", m.Name);
        Assert.Equal([-1L, 4], m.Inputs[0].Shape);
        Assert.Equal(0.5, m.Thresholds["alarm"]);
        Assert.Equal(64, m.Variants[0].Sha256.Length);
        Assert.Equal("sample/x.bin", m.Sample!.Inputs["x"]);
        Assert.Equal(ModelManifestReader.ToJson(m), ModelManifestReader.ToJson(ModelManifestReader.Parse(Encoding.UTF8.GetBytes(ModelManifestReader.ToJson(m)), "again")));
    }

    [Theory]
    [InlineData("", "not valid")]
    [InlineData("{", "not valid")]
    [InlineData("null", "empty")]
    [InlineData("[1,2]", "not valid")]
    [InlineData("{\"name\": 5}", "not valid at $.name")]
    public void Broken_json_is_a_format_error(string json, string expected)
    {
        var ex = Assert.Throws<ModelFormatException>(() => ModelManifestReader.Parse(Encoding.UTF8.GetBytes(json), "m.json"));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Equal("m.json", ex.Path);
    }

    [Fact]
    public void Truncated_manifest_at_every_length_fails_cleanly()
    {
        var bytes = Encoding.UTF8.GetBytes(_validJson);
        for (var len = 0; len < bytes.Length - 3; len += 7)
        {
            Assert.Throws<ModelFormatException>(() => ModelManifestReader.Parse(bytes.AsSpan(0, len), "cut.json"));
        }
    }

    [Theory]
    [InlineData("\"name\": \"tiny-linear\"", "\"name\": \"\"", "name is missing")]
    [InlineData("\"dtype\": \"float32\"", "\"dtype\": \"float33\"", "inputs[0].dtype 'float33' is not supported")]
    [InlineData("\"file\": \"model.fp32.onnx\"", "\"file\": \"../../etc/passwd\"", "variants[0].file '../../etc/passwd'")]
    [InlineData("\"file\": \"model.fp32.onnx\"", "\"file\": \"/etc/passwd\"", "variants[0].file '/etc/passwd'")]
    [InlineData("\"schemaVersion\": 1", "\"schemaVersion\": 7", "schemaVersion is 7")]
    [InlineData("\"tolerance\": 1E-06", "\"tolerance\": -1", "sample.expected[0].tolerance")]
    [InlineData("\"graphOptimizationLevel\": \"all\"", "\"graphOptimizationLevel\": \"max\"", "graphOptimizationLevel 'max'")]
    [InlineData("\"sizeBytes\":", "\"sizeBytes\": 0, \"x\":", "Model manifest")]
    public void Invalid_field_is_named(string find, string replace, string expected)
    {
        Assert.Contains(find, _validJson, StringComparison.Ordinal);
        var json = _validJson.Replace(find, replace, StringComparison.Ordinal);
        var ex = Assert.Throws<ModelFormatException>(() => ModelManifestReader.Parse(Encoding.UTF8.GetBytes(json), "m.json"));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Misspelt_field_is_refused_not_ignored()
    {
        var json = _validJson.Replace("\"thresholds\"", "\"thresholdz\"", StringComparison.Ordinal);
        var ex = Assert.Throws<ModelFormatException>(() => ModelManifestReader.Parse(Encoding.UTF8.GetBytes(json), "m.json"));
        Assert.Contains("thresholdz", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Hostile_huge_shape_is_refused_before_allocation()
    {
        var json = _validJson.Replace("\"shape\": [\n        -1,\n        4\n      ]", "\"shape\": [100000, 100000, 100000]", StringComparison.Ordinal);
        Assert.NotEqual(_validJson, json);
        var ex = Assert.Throws<ModelFormatException>(() => ModelManifestReader.Parse(Encoding.UTF8.GetBytes(json), "m.json"));
        Assert.Contains("inputs[0].shape", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Oversized_manifest_file_is_refused_unread()
    {
        var path = _dir.File("big.json");
        using (var f = File.Create(path))
        {
            f.SetLength(ModelManifestReader.MaxManifestBytes + 1);
        }

        var ex = Assert.Throws<ModelFormatException>(() => ModelManifestReader.Read(path));
        Assert.Contains("at most", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deeply_nested_json_is_a_format_error_not_a_stack_overflow()
    {
        var json = "{\"description\":" + new string('[', 5000) + new string(']', 5000) + "}";
        Assert.Throws<ModelFormatException>(() => ModelManifestReader.Parse(Encoding.UTF8.GetBytes(json), "deep.json"));
    }

    [Fact]
    public void A_variant_threshold_overrides_the_top_level_one_for_that_variant_only()
    {
        File.WriteAllText(_dir.File("manifest.json"), WithVariantThresholds("{ \"alarm\": 0.8 }"));
        var m = ModelManifestReader.Read(_dir.File("manifest.json"));

        Assert.Equal(0.8, m.ThresholdsFor(m.Variants[0])["alarm"]);
        Assert.Equal(0.5, m.Thresholds["alarm"]);
        Assert.Equal(0.5, m.ThresholdsFor(new ModelVariant { Name = "other" })["alarm"]);
        using var model = EdgeModel.Load(_dir.Path);
        Assert.Equal(0.8, model.Thresholds["alarm"]);

        // Written back, the override survives; a variant without one writes no "thresholds" member.
        var json = ModelManifestReader.ToJson(m);
        Assert.Equal(0.8, ModelManifestReader.Parse(Encoding.UTF8.GetBytes(json), "again").Variants[0].Thresholds!["alarm"]);
        m.Variants[0].Thresholds = null;
        Assert.Equal(2, ModelManifestReader.ToJson(m).Split("\"thresholds\"").Length);
    }

    [Theory]
    [InlineData("{ \"alrm\": 0.8 }", "variants[0].thresholds.alrm overrides no top-level threshold; a variant threshold replaces one of the manifest's (top-level thresholds: alarm)")]
    [InlineData("{ \"\": 0.8 }", "variants[0].thresholds has an empty name")]
    [InlineData("{ \"alarm\": \"high\" }", "not valid at $.variants[0].thresholds.alarm")]
    [InlineData("{ \"alarm\": null }", "not valid at $.variants[0].thresholds.alarm")]
    [InlineData("{ \"alarm\": 1e999 }", "variants[0].thresholds.alarm is Infinity; expected a finite number")]
    [InlineData("{ \"alarm\": \"NaN\" }", "not valid at $.variants[0].thresholds.alarm")]
    [InlineData("[0.8]", "not valid at $.variants[0].thresholds")]
    [InlineData("0.8", "not valid at $.variants[0].thresholds")]
    public void Invalid_variant_threshold_is_named(string thresholds, string expected)
    {
        var ex = Assert.Throws<ModelFormatException>(() => ModelManifestReader.Parse(Encoding.UTF8.GetBytes(WithVariantThresholds(thresholds)), "m.json"));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_variant_threshold_without_top_level_thresholds_is_refused()
    {
        var json = WithVariantThresholds("{ \"alarm\": 0.8 }").Replace("\"alarm\": 0.5", "", StringComparison.Ordinal);
        var ex = Assert.Throws<ModelFormatException>(() => ModelManifestReader.Parse(Encoding.UTF8.GetBytes(json), "m.json"));
        Assert.Contains("variants[0].thresholds.alarm overrides no top-level threshold", ex.Message, StringComparison.Ordinal);
        Assert.Contains("the manifest has no top-level thresholds", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_out_of_range_top_level_threshold_is_refused()
    {
        Assert.Contains("\"alarm\": 0.5", _validJson, StringComparison.Ordinal);
        var json = _validJson.Replace("\"alarm\": 0.5", "\"alarm\": -1e999", StringComparison.Ordinal);
        var ex = Assert.Throws<ModelFormatException>(() => ModelManifestReader.Parse(Encoding.UTF8.GetBytes(json), "m.json"));
        Assert.Contains("thresholds.alarm is -Infinity; expected a finite number", ex.Message, StringComparison.Ordinal);
    }

    private string WithVariantThresholds(string thresholds)
    {
        Assert.Contains("\"sizeBytes\":", _validJson, StringComparison.Ordinal);
        return _validJson.Replace("\"sizeBytes\":", $"\"thresholds\": {thresholds}, \"sizeBytes\":", StringComparison.Ordinal);
    }
}

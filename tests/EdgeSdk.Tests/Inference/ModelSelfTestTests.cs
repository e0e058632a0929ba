using System.Runtime.InteropServices;
using EdgeAI.Inference;
using EdgeAI.TestSupport;

namespace EdgeAI.Sdk.Tests.Inference;

public sealed class ModelSelfTestTests : IDisposable
{
    private readonly TempDirectory _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public void Good_model_passes_with_its_measured_difference()
    {
        TinyModels.WriteLinearModelDirectory(Path.Combine(_root.Path, "a"));
        var results = ModelSelfTest.RunAll(_root.Path);
        var r = Assert.Single(results);
        Assert.True(r.Passed, r.Message);
        Assert.Equal("tiny-linear", r.Model);
        Assert.Equal("fp32", r.Variant);
        Assert.InRange(r.MaxAbsDiff, 0, 1e-6);
    }

    [Fact]
    public void Passing_result_pairs_the_difference_with_the_tolerance_of_the_same_output()
    {
        // Two checks of output y: exact with 1e-3, and a reference 0.05 off with 0.1. The 0.05 difference is the one closest
        // to its tolerance (0.5 of it); it must be shown with 0.1, not with the other check's 1e-3 (which reads as a failure).
        var dir = Path.Combine(_root.Path, "a");
        var manifest = TinyModels.WriteLinearModelDirectory(dir);
        var off = TinyModels.Reference(TinyModels.SampleInput);
        off[2] += 0.05f;
        File.WriteAllBytes(Path.Combine(dir, "sample", "fp32.y.off.bin"), MemoryMarshal.AsBytes(off.AsSpan()).ToArray());
        manifest.Sample!.Expected =
        [
            new ExpectedOutput { Variant = "fp32", Output = "y", File = "sample/fp32.y.bin", Tolerance = 1e-3 },
            new ExpectedOutput { Variant = "fp32", Output = "y", File = "sample/fp32.y.off.bin", Tolerance = 0.1 },
        ];
        ModelManifestReader.Write(manifest, Path.Combine(dir, ModelManifest.FileName));

        var r = Assert.Single(ModelSelfTest.RunAll(_root.Path));
        Assert.True(r.Passed, r.Message);
        Assert.InRange(r.MaxAbsDiff, 0.049, 0.051);
        Assert.Equal(0.1, r.Tolerance);
        Assert.True(r.MaxAbsDiff <= r.Tolerance);
        Assert.Contains("'y'", r.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Wrong_reference_fails_and_names_the_element()
    {
        var dir = Path.Combine(_root.Path, "a");
        TinyModels.WriteLinearModelDirectory(dir);
        var expected = TinyModels.Reference(TinyModels.SampleInput);
        expected[1] += 0.01f;
        File.WriteAllBytes(Path.Combine(dir, "sample", "fp32.y.bin"), MemoryMarshal.AsBytes(expected.AsSpan()).ToArray());

        var r = Assert.Single(ModelSelfTest.RunAll(_root.Path));
        Assert.False(r.Passed);
        Assert.Contains("'y'[1]", r.Message, StringComparison.Ordinal);
        Assert.InRange(r.MaxAbsDiff, 0.009, 0.011);
    }

    [Fact]
    public void Broken_models_are_failures_not_exceptions()
    {
        TinyModels.WriteLinearModelDirectory(Path.Combine(_root.Path, "a"));
        var b = Path.Combine(_root.Path, "b");
        TinyModels.WriteLinearModelDirectory(b, "second");
        File.WriteAllBytes(Path.Combine(b, "sample", "x.bin"), [1, 2, 3]);
        var c = Path.Combine(_root.Path, "c");
        Directory.CreateDirectory(c);
        File.WriteAllText(Path.Combine(c, "manifest.json"), "{ not json");

        var results = ModelSelfTest.RunAll(_root.Path);
        Assert.Equal(3, results.Count);
        Assert.True(results[0].Passed);
        Assert.False(results[1].Passed);
        Assert.Contains("3 bytes; expected 16", results[1].Message, StringComparison.Ordinal);
        Assert.False(results[2].Passed);
        Assert.Equal("c", results[2].Model);
    }
}

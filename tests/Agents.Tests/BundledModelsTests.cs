using EdgeAI.Inference;
using EdgeAI.TestSupport;

namespace EdgeAI.Agents.Tests;

public sealed class BundledModelsTests
{
    public const string RuntimeCheckDescription =
        "Canary model, not an AI model: Relu(x*W+b) with fixed weights whose outputs are known exactly. " +
        "It proves that ONNX Runtime loads and computes correctly on a board (selftest) before the real models are trusted.";

    [Fact]
    public void Runtime_check_model_is_what_the_generator_writes()
    {
        var committed = Path.Combine(RepoPaths.Models, "runtime-check");
        using var fresh = new TempDirectory();
        TinyModels.WriteLinearModelDirectory(fresh.Path, "runtime-check", RuntimeCheckDescription);

        if (Environment.GetEnvironmentVariable("EDGEAI_REGENERATE_MODELS") == "1")
        {
            CopyDirectory(fresh.Path, committed);
        }

        foreach (var file in Directory.GetFiles(fresh.Path, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(fresh.Path, file);
            var other = Path.Combine(committed, relative);
            Assert.True(File.Exists(other), $"models/runtime-check/{relative} is missing; regenerate with EDGEAI_REGENERATE_MODELS=1 dotnet test tests/Agents.Tests");
            Assert.Equal(File.ReadAllBytes(file), File.ReadAllBytes(other));
        }
    }

    [Fact]
    public void Every_bundled_model_passes_its_self_test()
    {
        var results = ModelSelfTest.RunAll(RepoPaths.Models);
        Assert.NotEmpty(results);
        Assert.All(results, r => Assert.True(r.Passed, $"{r.Model}/{r.Variant}: {r.Message}"));
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }
}

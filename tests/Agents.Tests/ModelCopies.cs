using EdgeAI.Inference;
using EdgeAI.TestSupport;

namespace EdgeAI.Agents.Tests;

/// <summary>Copies of the bundled defect model with manifest edits, for tests of how agents read the manifest.</summary>
internal static class ModelCopies
{
    public static string DefectModel => Path.Combine(RepoPaths.Models, "defect-cnn");

    /// <summary>
    /// Copies models/defect-cnn into <paramref name="modelsDirectory"/>/defect-cnn and gives <paramref name="variant"/> its
    /// own defect threshold. Returns the models directory.
    /// </summary>
    public static string WithVariantThreshold(string modelsDirectory, string variant, double threshold)
    {
        var target = Directory.CreateDirectory(Path.Combine(modelsDirectory, "defect-cnn")).FullName;
        foreach (var file in Directory.GetFiles(DefectModel, "*", SearchOption.AllDirectories))
        {
            var to = Path.Combine(target, Path.GetRelativePath(DefectModel, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }

        var manifestPath = Path.Combine(target, ModelManifest.FileName);
        var manifest = ModelManifestReader.Read(manifestPath);
        var entry = manifest.FindVariant(variant) ?? throw new ArgumentException($"models/defect-cnn has no variant '{variant}'.", nameof(variant));
        entry.Thresholds = new() { ["defect"] = threshold };
        ModelManifestReader.Write(manifest, manifestPath);
        return modelsDirectory;
    }

    /// <summary>The top-level (fp32) defect threshold of the bundled model.</summary>
    public static double TopLevelThreshold() =>
        ModelManifestReader.Read(Path.Combine(DefectModel, ModelManifest.FileName)).Thresholds["defect"];
}

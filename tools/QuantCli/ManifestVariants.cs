using EdgeAI.Inference;

namespace EdgeAI.QuantCli;

/// <summary>Adds (or replaces) a variant in the manifest of a model directory, for the commands that write a new model file.</summary>
internal static class ManifestVariants
{
    /// <summary>
    /// When <paramref name="location"/> is a model directory, records <paramref name="outPath"/> as variant
    /// <paramref name="variantName"/> (sha256, size, <paramref name="metrics"/>, the source variant's session settings plus
    /// <paramref name="disabledOptimizers"/> and <paramref name="configEntries"/>, the latter set over the source's), writes the
    /// manifest and reads it back to validate it.
    /// </summary>
    /// <returns>The manifest path, or <see langword="null"/> when MODEL was a plain .onnx file.</returns>
    public static string? Add(ModelLocation location, string outPath, long sizeBytes, string sha256, string variantName, IReadOnlyList<string> disabledOptimizers, Dictionary<string, double> metrics,
        IReadOnlyDictionary<string, string>? configEntries = null)
    {
        if (location is not { Directory: { } dir, Manifest: { } manifest, Variant: { } source })
        {
            return null;
        }

        var entry = new ModelVariant
        {
            Name = variantName,
            File = Path.GetRelativePath(Path.GetFullPath(dir), Path.GetFullPath(outPath)).Replace('\\', '/'),
            Sha256 = sha256,
            SizeBytes = sizeBytes,
            Metrics = metrics,
            Session = new SessionSettings
            {
                IntraOpThreads = source.Session.IntraOpThreads,
                InterOpThreads = source.Session.InterOpThreads,
                GraphOptimizationLevel = source.Session.GraphOptimizationLevel,
                ExecutionMode = source.Session.ExecutionMode,
                DisabledOptimizers = [.. source.Session.DisabledOptimizers.Union(disabledOptimizers, StringComparer.Ordinal)],
                ConfigEntries = MergeConfig(source.Session.ConfigEntries, configEntries),
            },
        };
        manifest.Variants = [.. manifest.Variants.Where(v => v.Name != variantName), entry];
        var manifestPath = Path.Combine(dir, ModelManifest.FileName);
        ModelManifestReader.Write(manifest, manifestPath);
        ModelManifestReader.Read(manifestPath);
        return manifestPath;
    }

    /// <summary>The source variant's session config entries with the ones the new model needs set over them.</summary>
    private static Dictionary<string, string> MergeConfig(IDictionary<string, string> source, IReadOnlyDictionary<string, string>? required)
    {
        var merged = new Dictionary<string, string>(source, StringComparer.Ordinal);
        foreach (var (key, value) in required ?? new Dictionary<string, string>())
        {
            merged[key] = value;
        }

        return merged;
    }
}

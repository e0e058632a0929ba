using EdgeAI.Inference;

namespace EdgeAI.QuantCli;

/// <summary>
/// Where a MODEL argument points: an .onnx file, or a model directory whose manifest.json names the file
/// (the default variant, else the first, unless a variant is named).
/// </summary>
internal sealed record ModelLocation(string OnnxPath, string? Directory, ModelManifest? Manifest, ModelVariant? Variant)
{
    /// <summary>Resolves MODEL; <paramref name="variantName"/> (<c>--from</c>) picks a manifest variant other than the default.</summary>
    public static ModelLocation Resolve(string path, string? variantName = null)
    {
        if (System.IO.Directory.Exists(path))
        {
            var manifestPath = Path.Combine(path, ModelManifest.FileName);
            if (!File.Exists(manifestPath))
            {
                throw new CliUsageException($"'{path}' is a directory without {ModelManifest.FileName}; pass an .onnx file or a model directory.");
            }

            var manifest = ModelManifestReader.Read(manifestPath);
            var variant = variantName is not null
                ? manifest.FindVariant(variantName) ?? throw new CliUsageException(
                    $"Model manifest '{manifestPath}' has no variant '{variantName}' (--from); it has: {string.Join(", ", manifest.Variants.Select(v => v.Name))}.")
                : (manifest.DefaultVariant is { } name ? manifest.FindVariant(name) : null) ?? manifest.Variants.FirstOrDefault()
                ?? throw new CliUsageException($"Model manifest '{manifestPath}' lists no variants.");
            return new ModelLocation(Path.Combine(path, variant.File), path, manifest, variant);
        }

        if (!File.Exists(path))
        {
            throw new CliUsageException($"Model '{path}' does not exist.");
        }

        if (variantName is not null)
        {
            throw new CliUsageException($"--from {variantName} names a manifest variant, but '{path}' is an .onnx file, not a model directory.");
        }

        return new ModelLocation(path, null, null, null);
    }
}

using EdgeAI.Inference;

namespace EdgeAI.QuantCli;

/// <summary>
/// Where a MODEL argument points: an .onnx file, or a model directory whose manifest.json names the file
/// (the default variant, else the first).
/// </summary>
internal sealed record ModelLocation(string OnnxPath, string? Directory, ModelManifest? Manifest, ModelVariant? Variant)
{
    public static ModelLocation Resolve(string path)
    {
        if (System.IO.Directory.Exists(path))
        {
            var manifestPath = Path.Combine(path, ModelManifest.FileName);
            if (!File.Exists(manifestPath))
            {
                throw new CliUsageException($"'{path}' is a directory without {ModelManifest.FileName}; pass an .onnx file or a model directory.");
            }

            var manifest = ModelManifestReader.Read(manifestPath);
            var variant = (manifest.DefaultVariant is { } name ? manifest.FindVariant(name) : null) ?? manifest.Variants.FirstOrDefault()
                ?? throw new CliUsageException($"Model manifest '{manifestPath}' lists no variants.");
            return new ModelLocation(Path.Combine(path, variant.File), path, manifest, variant);
        }

        if (!File.Exists(path))
        {
            throw new CliUsageException($"Model '{path}' does not exist.");
        }

        return new ModelLocation(path, null, null, null);
    }
}

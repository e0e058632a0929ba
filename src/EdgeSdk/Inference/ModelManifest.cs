namespace EdgeAI.Inference;

/// <summary>
/// The contents of a model directory's <c>manifest.json</c>: what the model is, its inputs and outputs,
/// preprocessing, labels, thresholds and variants. Read with <see cref="ModelManifestReader"/>.
/// </summary>
public sealed class ModelManifest
{
    /// <summary>File name of the manifest inside a model directory.</summary>
    public const string FileName = "manifest.json";

    /// <summary>Manifest format version; this runtime reads version 1.</summary>
    public int SchemaVersion { get; set; } = 1;

    /// <summary>Model name, e.g. <c>defect-cnn</c>.</summary>
    public string Name { get; set; } = "";

    /// <summary>Model version (semantic version recommended).</summary>
    public string Version { get; set; } = "";

    /// <summary>What the model does, e.g. <c>image-classification</c>, <c>rul-regression</c>, <c>speech-recognition</c>.</summary>
    public string Task { get; set; } = "";

    /// <summary>One-paragraph description.</summary>
    public string? Description { get; set; }

    /// <summary>Inputs in the order the model takes them.</summary>
    public TensorSpec[] Inputs { get; set; } = [];

    /// <summary>Outputs agents read; each must exist in the graph.</summary>
    public TensorSpec[] Outputs { get; set; } = [];

    /// <summary>How raw data becomes the input tensor (of every input that has no <see cref="TensorSpec.Preprocessing"/> of its own).</summary>
    public PreprocessingSpec? Preprocessing { get; set; }

    /// <summary>The preprocessing of input <paramref name="inputName"/>: its own, else the manifest's.</summary>
    /// <returns>The spec, or <see langword="null"/> when neither the input nor the manifest has one.</returns>
    public PreprocessingSpec? PreprocessingFor(string inputName)
    {
        foreach (var input in Inputs)
        {
            if (string.Equals(input.Name, inputName, StringComparison.Ordinal) && input.Preprocessing is { } own)
            {
                return own;
            }
        }

        return Preprocessing;
    }

    /// <summary>Class labels, index-aligned with the classifier output.</summary>
    public string[] Labels { get; set; } = [];

    /// <summary>
    /// Named decision thresholds (e.g. <c>defect</c> probability above which a part is rejected). A variant may override
    /// some of them (<see cref="ModelVariant.Thresholds"/>); <see cref="ThresholdsFor"/> gives the ones in effect.
    /// </summary>
    public Dictionary<string, double> Thresholds { get; set; } = [];

    /// <summary>Variant loaded when none is asked for; the first variant when absent.</summary>
    public string? DefaultVariant { get; set; }

    /// <summary>The model's files.</summary>
    public ModelVariant[] Variants { get; set; } = [];

    /// <summary>Bundled sample for self-tests, if any.</summary>
    public SampleSpec? Sample { get; set; }

    /// <summary>Finds a variant by name.</summary>
    /// <returns>The variant, or <see langword="null"/> when the manifest has none of that name.</returns>
    public ModelVariant? FindVariant(string name)
    {
        foreach (var v in Variants)
        {
            if (string.Equals(v.Name, name, StringComparison.Ordinal))
            {
                return v;
            }
        }

        return null;
    }

    /// <summary>The thresholds in effect for <paramref name="variant"/>: the top-level ones, with the variant's own overriding them.</summary>
    /// <param name="variant">A variant of this manifest.</param>
    /// <returns>A new dictionary; changing it changes nothing in the manifest.</returns>
    public Dictionary<string, double> ThresholdsFor(ModelVariant variant)
    {
        ArgumentNullException.ThrowIfNull(variant);
        var thresholds = new Dictionary<string, double>(Thresholds, StringComparer.Ordinal);
        foreach (var (name, value) in variant.Thresholds ?? [])
        {
            thresholds[name] = value;
        }

        return thresholds;
    }
}

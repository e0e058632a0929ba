namespace EdgeAI.Inference;

/// <summary>
/// One file of a model: the fp32 original or a compressed form (int8, pruned-int8), with the hash that
/// pins it, the measured metrics and the session settings it needs.
/// </summary>
public sealed class ModelVariant
{
    /// <summary>Variant name, e.g. <c>fp32</c>, <c>int8</c> or <c>pruned-int8</c>.</summary>
    public string Name { get; set; } = "";

    /// <summary>The .onnx file, relative to the model directory. It may not leave the directory.</summary>
    public string File { get; set; } = "";

    /// <summary>Lower-case hex SHA-256 of the file.</summary>
    public string Sha256 { get; set; } = "";

    /// <summary>File size in bytes.</summary>
    public long SizeBytes { get; set; }

    /// <summary>Measured metrics (accuracy, latency, ...), as written by the command that measured them.</summary>
    public Dictionary<string, double> Metrics { get; set; } = [];

    /// <summary>
    /// Decision thresholds of this variant, each overriding the manifest's top-level threshold of the same name; absent
    /// (<see langword="null"/>) when the variant uses the top-level ones. A pruned or quantized model's scores shift, so
    /// its operating point (e.g. the same false-reject rate) is picked on its own outputs. Read them through
    /// <see cref="ModelManifest.ThresholdsFor"/> or <see cref="EdgeModel.Thresholds"/>.
    /// </summary>
    public Dictionary<string, double>? Thresholds { get; set; }

    /// <summary>Session settings this variant needs; defaults when absent.</summary>
    public SessionSettings Session { get; set; } = new();
}

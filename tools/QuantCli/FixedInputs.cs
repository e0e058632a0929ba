using System.CommandLine;
using System.Globalization;
using EdgeAI.Inference;
using EdgeAI.Quantization.Calibration;
using EdgeAI.Quantization.Int8;
using EdgeAI.Quantization.Onnx;

namespace EdgeAI.QuantCli;

/// <summary><c>--fix-input NAME=VALUE</c>: specialize If branches selected by an integer graph input (e.g. <c>sr=16000</c>).</summary>
internal static class FixedInputs
{
    public static Option<string[]> CreateOption() => new("--fix-input")
    {
        Description = "NAME=VALUE: an integer graph input that always has this value; If nodes testing it are replaced by the branch it selects, so their contents can be quantized.",
        AllowMultipleArgumentsPerToken = true,
    };

    public static Option<string[]> CreateShapeOption() => new("--fix-shape")
    {
        Description = "NAME=D0,D1,...: a graph input that always has this shape; If nodes whose condition is computed from it (Shape, Gather, Equal, Cast) are replaced by the branch it selects.",
        AllowMultipleArgumentsPerToken = true,
    };

    public static Option<string?> CreateSampleOption() => new("--specialize-sample")
    {
        Description = "A sample file (.npy, picture or .wav, preprocessed as the manifest says) or a directory laid out like a calibration set (its first sample): it is run to learn every tensor's shape, and If nodes whose condition follows from those shapes (and --fix-input values) are replaced by the branch taken. The result only accepts inputs shaped like that sample.",
    };

    /// <param name="model">The model to specialize.</param>
    /// <param name="values">--fix-input values.</param>
    /// <param name="shapes">--fix-shape values.</param>
    /// <param name="samplePath">--specialize-sample: a file or a calibration directory.</param>
    /// <param name="manifest">The manifest whose preprocessing turns a picture or recording sample into tensors, and where it came from.</param>
    public static (OnnxModel Model, IReadOnlyList<string> Changes) Apply(OnnxModel model, string[]? values, string[]? shapes = null, string? samplePath = null, (ModelManifest? Manifest, string? Path) manifest = default)
    {
        values ??= [];
        shapes ??= [];
        if (values.Length == 0 && shapes.Length == 0 && samplePath is null)
        {
            return (model, []);
        }

        var inputs = model.Graph.Inputs.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var fixedInputs = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var text in values)
        {
            var parts = text.Split('=', 2);
            if (parts.Length != 2 || !long.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
            {
                throw new CliUsageException($"--fix-input '{text}': expected NAME=INTEGER, e.g. sr=16000.");
            }

            if (!inputs.Contains(parts[0]))
            {
                throw new CliUsageException($"--fix-input '{text}': the model has no graph input '{parts[0]}'.");
            }

            fixedInputs[parts[0]] = value;
        }

        var fixedShapes = new Dictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var text in shapes)
        {
            var parts = text.Split('=', 2);
            if (parts.Length != 2 || !inputs.Contains(parts[0])
                || !parts[1].Split(',').All(d => long.TryParse(d, NumberStyles.Integer, CultureInfo.InvariantCulture, out _)))
            {
                throw new CliUsageException($"--fix-shape '{text}': expected INPUT=D0,D1,... naming a graph input, e.g. state=2,1,128.");
            }

            long[] dims = [.. parts[1].Split(',').Select(d => long.Parse(d, CultureInfo.InvariantCulture))];
            fixedShapes[parts[0]] = dims;
        }

        var (specialized, inlined) = samplePath is null
            ? IfSpecializer.Specialize(model, fixedInputs, fixedShapes)
            : IfSpecializer.SpecializeForSample(model, fixedInputs, CalibrationFolder.ReadSample(samplePath, model, manifest.Manifest, manifest.Path));
        return (specialized, inlined.Count == 0 ? ["No If node tests the fixed inputs or shapes."] : [$"Inlined the selected branch of {string.Join(", ", inlined)}."]);
    }
}

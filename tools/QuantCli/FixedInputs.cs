using System.CommandLine;
using System.Globalization;
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

    public static (OnnxModel Model, IReadOnlyList<string> Changes) Apply(OnnxModel model, string[]? values)
    {
        if (values is null || values.Length == 0)
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

        var (specialized, inlined) = IfSpecializer.Specialize(model, fixedInputs);
        return (specialized, inlined.Count == 0 ? ["No If node tests the fixed inputs."] : [$"Inlined the selected branch of {string.Join(", ", inlined)}."]);
    }
}

using System.Text.Json;

namespace EdgeAI.Inference;

/// <summary>
/// Reads and writes <c>manifest.json</c>, and checks that what it says is usable before any model
/// file is touched.
/// </summary>
public static class ModelManifestReader
{
    /// <summary>Largest manifest accepted; a manifest is a few kilobytes, anything near this is not one.</summary>
    public const int MaxManifestBytes = 1 << 20;

    /// <summary>Reads and validates a manifest file.</summary>
    /// <param name="path">Path of <c>manifest.json</c>.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ModelFormatException">The file is not valid JSON, too large, or a field is missing or out of range; the message names the field.</exception>
    public static ModelManifest Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new FileNotFoundException($"Model manifest '{path}' does not exist; every model directory needs a {ModelManifest.FileName}.", path);
        }

        if (info.Length > MaxManifestBytes)
        {
            throw new ModelFormatException($"Model manifest '{path}' is {info.Length} bytes; at most {MaxManifestBytes} bytes are accepted.", path);
        }

        var bytes = File.ReadAllBytes(path);
        return Parse(bytes, path);
    }

    /// <summary>Parses and validates manifest JSON.</summary>
    /// <param name="utf8Json">The manifest's bytes.</param>
    /// <param name="path">Where they came from, for messages.</param>
    /// <exception cref="ModelFormatException">Not valid JSON, or a field is missing or out of range.</exception>
    public static ModelManifest Parse(ReadOnlySpan<byte> utf8Json, string path)
    {
        ModelManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize(utf8Json, ManifestJsonContext.Default.ModelManifest);
        }
        catch (JsonException ex)
        {
            var where = string.IsNullOrEmpty(ex.Path) ? "" : $" at {ex.Path}";
            throw new ModelFormatException($"Model manifest '{path}' is not valid{where}: {ex.Message}", path, ex);
        }

        if (manifest is null)
        {
            throw new ModelFormatException($"Model manifest '{path}' is empty (JSON null); expected an object.", path);
        }

        Validate(manifest, path);
        return manifest;
    }

    /// <summary>Writes a manifest as indented JSON (atomically: a temporary file is renamed over the target).</summary>
    public static void Write(ModelManifest manifest, string path)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var tmp = path + ".tmp";
        File.WriteAllBytes(tmp, JsonSerializer.SerializeToUtf8Bytes(manifest, ManifestJsonContext.Default.ModelManifest));
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>Serializes a manifest to indented JSON text.</summary>
    public static string ToJson(ModelManifest manifest) =>
        JsonSerializer.Serialize(manifest, ManifestJsonContext.Default.ModelManifest);

    private static void Validate(ModelManifest m, string path)
    {
        void Fail(string field, string problem) =>
            throw new ModelFormatException($"Model manifest '{path}': {field} {problem}", path);

        if (m.SchemaVersion != 1)
        {
            Fail("schemaVersion", $"is {m.SchemaVersion}; this runtime reads version 1.");
        }

        if (string.IsNullOrWhiteSpace(m.Name))
        {
            Fail("name", "is missing; expected the model's name.");
        }

        if (string.IsNullOrWhiteSpace(m.Version))
        {
            Fail("version", "is missing; expected a version such as \"1.0.0\".");
        }

        ValidateThresholds(m.Thresholds, "thresholds", null, path);
        ValidateTensors(m.Inputs, "inputs", path);
        ValidateTensors(m.Outputs, "outputs", path);

        if (m.Variants.Length == 0)
        {
            Fail("variants", "is empty; expected at least one model file (e.g. fp32).");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < m.Variants.Length; i++)
        {
            var v = m.Variants[i];
            var field = $"variants[{i}]";
            if (string.IsNullOrWhiteSpace(v.Name))
            {
                Fail($"{field}.name", "is missing; expected e.g. \"fp32\" or \"int8\".");
            }

            if (!names.Add(v.Name))
            {
                Fail($"{field}.name", $"'{v.Name}' appears twice; variant names must be unique.");
            }

            if (!IsSafeRelativePath(v.File))
            {
                Fail($"{field}.file", $"'{v.File}' must be a file name relative to the model directory, without '..'.");
            }

            if (v.Sha256.Length != 64 || !v.Sha256.All(Uri.IsHexDigit))
            {
                Fail($"{field}.sha256", $"'{v.Sha256}' is not a SHA-256; expected 64 hex digits.");
            }

            if (v.SizeBytes <= 0)
            {
                Fail($"{field}.sizeBytes", $"is {v.SizeBytes}; expected the file's size in bytes.");
            }

            if (v.Thresholds is { } own)
            {
                ValidateThresholds(own, $"{field}.thresholds", m.Thresholds, path);
            }

            ValidateSession(v.Session, $"{field}.session", path);
        }

        if (m.DefaultVariant is { } dv && m.FindVariant(dv) is null)
        {
            Fail("defaultVariant", $"'{dv}' names no variant; expected one of: {string.Join(", ", m.Variants.Select(v => v.Name))}.");
        }

        if (m.Sample is { } sample)
        {
            foreach (var (input, file) in sample.Inputs)
            {
                if (!m.Inputs.Any(t => t.Name == input))
                {
                    Fail($"sample.inputs.{input}", "names no input of the model.");
                }

                if (!IsSafeRelativePath(file))
                {
                    Fail($"sample.inputs.{input}", $"'{file}' must be a path relative to the model directory, without '..'.");
                }
            }

            for (var i = 0; i < sample.Expected.Length; i++)
            {
                var e = sample.Expected[i];
                if (m.FindVariant(e.Variant) is null)
                {
                    Fail($"sample.expected[{i}].variant", $"'{e.Variant}' names no variant.");
                }

                if (!m.Outputs.Any(t => t.Name == e.Output))
                {
                    Fail($"sample.expected[{i}].output", $"'{e.Output}' names no output.");
                }

                if (!IsSafeRelativePath(e.File))
                {
                    Fail($"sample.expected[{i}].file", $"'{e.File}' must be a path relative to the model directory, without '..'.");
                }

                if (!(e.Tolerance >= 0) || double.IsInfinity(e.Tolerance))
                {
                    Fail($"sample.expected[{i}].tolerance", $"is {e.Tolerance}; expected a finite number >= 0.");
                }
            }
        }
    }

    /// <summary>Threshold names are non-empty, values finite; a variant's may only override top-level ones (a new name is likely a typo).</summary>
    private static void ValidateThresholds(Dictionary<string, double> thresholds, string field, Dictionary<string, double>? overridden, string path)
    {
        foreach (var (name, value) in thresholds)
        {
            if (string.IsNullOrWhiteSpace(name))
            {
                throw new ModelFormatException($"Model manifest '{path}': {field} has an empty name; expected e.g. \"defect\".", path);
            }

            if (!double.IsFinite(value))
            {
                throw new ModelFormatException($"Model manifest '{path}': {field}.{name} is {value.ToString(System.Globalization.CultureInfo.InvariantCulture)}; expected a finite number.", path);
            }

            if (overridden is not null && !overridden.ContainsKey(name))
            {
                var known = overridden.Count == 0 ? "the manifest has no top-level thresholds" : $"top-level thresholds: {string.Join(", ", overridden.Keys)}";
                throw new ModelFormatException($"Model manifest '{path}': {field}.{name} overrides no top-level threshold; a variant threshold replaces one of the manifest's ({known}).", path);
            }
        }
    }

    private static void ValidateTensors(TensorSpec[] tensors, string field, string path)
    {
        if (tensors.Length == 0)
        {
            throw new ModelFormatException($"Model manifest '{path}': {field} is empty; expected at least one tensor.", path);
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < tensors.Length; i++)
        {
            var t = tensors[i];
            var f = $"{field}[{i}]";
            if (string.IsNullOrEmpty(t.Name) || !names.Add(t.Name))
            {
                throw new ModelFormatException($"Model manifest '{path}': {f}.name '{t.Name}' is empty or repeated; expected a unique tensor name.", path);
            }

            if (!TensorDataTypes.TryParse(t.Dtype, out _))
            {
                throw new ModelFormatException($"Model manifest '{path}': {f}.dtype '{t.Dtype}' is not supported; expected one of {TensorDataTypes.SupportedNames}.", path);
            }

            if (t.Shape.Length > 8 || t.Shape.Any(d => d == 0 || d < -1))
            {
                throw new ModelFormatException($"Model manifest '{path}': {f}.shape {ShapeText.Format(t.Shape)} is invalid; expected at most 8 dimensions, each > 0 or -1 (open).", path);
            }

            // Guard against hostile sizes before anything is allocated from them: 2^31 elements is far beyond any edge model.
            double elements = 1;
            foreach (var d in t.Shape)
            {
                elements *= Math.Max(d, 1);
            }

            if (elements > int.MaxValue)
            {
                throw new ModelFormatException($"Model manifest '{path}': {f}.shape {ShapeText.Format(t.Shape)} has {elements:g} elements; at most {int.MaxValue} are supported.", path);
            }
        }
    }

    private static void ValidateSession(SessionSettings s, string field, string path)
    {
        if (s.IntraOpThreads < 0 || s.InterOpThreads < 0)
        {
            throw new ModelFormatException($"Model manifest '{path}': {field} thread counts must be >= 0 (0 = ONNX Runtime default).", path);
        }

        if (s.GraphOptimizationLevel is not ("disabled" or "basic" or "extended" or "all"))
        {
            throw new ModelFormatException($"Model manifest '{path}': {field}.graphOptimizationLevel '{s.GraphOptimizationLevel}' is not one of disabled, basic, extended, all.", path);
        }

        if (s.ExecutionMode is not ("sequential" or "parallel"))
        {
            throw new ModelFormatException($"Model manifest '{path}': {field}.executionMode '{s.ExecutionMode}' is not one of sequential, parallel.", path);
        }
    }

    internal static bool IsSafeRelativePath(string? file)
    {
        if (string.IsNullOrWhiteSpace(file) || Path.IsPathRooted(file) || file.Contains('\\', StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var part in file.Split('/'))
        {
            if (part is "" or "." or "..")
            {
                return false;
            }
        }

        return true;
    }
}

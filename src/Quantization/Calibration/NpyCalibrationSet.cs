namespace EdgeAI.Quantization.Calibration;

/// <summary>
/// Calibration samples stored as .npy files. For a model with one input, a directory of <c>*.npy</c> files,
/// one sample each; for several inputs, one subdirectory per sample holding <c>&lt;input name&gt;.npy</c> for
/// every input. Samples are read lazily, in ordinal file-name order, so a large set is never all in memory.
/// </summary>
public static class NpyCalibrationSet
{
    /// <summary>Enumerates the samples in <paramref name="directory"/>.</summary>
    /// <param name="directory">The calibration directory.</param>
    /// <param name="inputNames">The model's graph input names (not initializers).</param>
    /// <param name="maxDataBytes">Largest array accepted per file.</param>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="ArgumentException">It holds no samples, or a sample directory lacks an input's file (thrown when that sample is reached).</exception>
    /// <exception cref="NpyFormatException">A file is not a supported .npy array (thrown when it is reached).</exception>
    public static IEnumerable<IReadOnlyDictionary<string, NpyArray>> Read(string directory, IReadOnlyList<string> inputNames, long maxDataBytes = NpyFile.DefaultMaxDataBytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(inputNames);
        if (inputNames.Count == 0)
        {
            throw new ArgumentException("At least one input name is needed.", nameof(inputNames));
        }

        foreach (var name in inputNames)
        {
            if (string.IsNullOrEmpty(name) || name.IndexOfAny(['/', '\\', '\0']) >= 0 || name is "." or "..")
            {
                throw new ArgumentException($"Input name '{name}' cannot name a .npy file; expected a name without path separators.", nameof(inputNames));
            }
        }

        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"Calibration directory '{directory}' does not exist.");
        }

        var files = Directory.GetFiles(directory, "*.npy").Order(StringComparer.Ordinal).ToList();
        var folders = Directory.GetDirectories(directory).Order(StringComparer.Ordinal).ToList();
        if (inputNames.Count == 1 && files.Count > 0)
        {
            return files.Select(f => (IReadOnlyDictionary<string, NpyArray>)new Dictionary<string, NpyArray> { [inputNames[0]] = NpyFile.Read(f, maxDataBytes) });
        }

        if (folders.Count == 0)
        {
            throw new ArgumentException(
                $"Calibration directory '{directory}' holds no samples; expected *.npy files (one-input model) or one subdirectory per sample with {string.Join(", ", inputNames.Select(n => n + ".npy"))}.",
                nameof(directory));
        }

        return folders.Select(folder => (IReadOnlyDictionary<string, NpyArray>)inputNames.ToDictionary(
            name => name,
            name =>
            {
                var path = Path.Combine(folder, name + ".npy");
                return File.Exists(path)
                    ? NpyFile.Read(path, maxDataBytes)
                    : throw new ArgumentException($"Calibration sample '{folder}' has no '{name}.npy' for graph input '{name}'.", nameof(directory));
            },
            StringComparer.Ordinal));
    }
}

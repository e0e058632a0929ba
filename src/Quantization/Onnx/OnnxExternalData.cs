using System.Globalization;
using EdgeAI.Quantization.Onnx.Proto;

namespace EdgeAI.Quantization.Onnx;

/// <summary>Where a tensor's external bytes live, resolved and checked.</summary>
internal sealed record OnnxExternalLocation(string FullPath, string Location, long Offset, long Length);

/// <summary>
/// Resolves, reads and writes tensor data kept outside the model file (TensorProto.external_data with
/// data_location = EXTERNAL). Locations are confined to the model's directory.
/// </summary>
internal static class OnnxExternalData
{
    public const string LocationKey = "location";
    public const string OffsetKey = "offset";
    public const string LengthKey = "length";

    /// <summary>
    /// Resolves <paramref name="location"/> under <paramref name="baseDirectory"/>, refusing anything that could
    /// name a file elsewhere: absolute or drive-qualified paths, '..' segments, and links whose target leaves
    /// the directory.
    /// </summary>
    /// <exception cref="OnnxFormatException">The location escapes the directory.</exception>
    public static string ResolveConfined(string baseDirectory, string location, string tensorName, string? modelPath)
    {
        if (string.IsNullOrEmpty(location) || location.Contains('\0', StringComparison.Ordinal))
        {
            throw new OnnxFormatException($"Tensor '{tensorName}': external_data location is empty or contains NUL; expected a file name relative to the model's directory.", modelPath);
        }

        var segments = location.Split('/', '\\');
        if (Path.IsPathRooted(location) || location[0] is '/' or '\\' || location.Contains(':', StringComparison.Ordinal)
            || segments.Any(s => s == ".."))
        {
            throw new OnnxFormatException(
                $"Tensor '{tensorName}': external_data location '{location}' points outside the model's directory; expected a relative path without '..', absolute or drive parts.",
                modelPath);
        }

        var root = Path.GetFullPath(baseDirectory);
        var rootWithSeparator = Path.EndsInDirectorySeparator(root) ? root : root + Path.DirectorySeparatorChar;
        var full = Path.GetFullPath(Path.Combine(root, location));
        if (!full.StartsWith(rootWithSeparator, StringComparison.Ordinal))
        {
            throw new OnnxFormatException($"Tensor '{tensorName}': external_data location '{location}' resolves to '{full}', outside '{root}'.", modelPath);
        }

        // A link inside the directory must not lead out of it either.
        if (File.Exists(full) && new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true) is { } target)
        {
            var realRoot = new DirectoryInfo(root).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? root;
            var realRootWithSeparator = Path.EndsInDirectorySeparator(realRoot) ? realRoot : realRoot + Path.DirectorySeparatorChar;
            if (!target.FullName.StartsWith(rootWithSeparator, StringComparison.Ordinal)
                && !target.FullName.StartsWith(realRootWithSeparator, StringComparison.Ordinal))
            {
                throw new OnnxFormatException(
                    $"Tensor '{tensorName}': external_data location '{location}' is a link to '{target.FullName}', outside '{root}'.", modelPath);
            }
        }

        return full;
    }

    /// <summary>Reads and checks a tensor's external_data entries against the file they name.</summary>
    /// <param name="tensor">A tensor with data_location = EXTERNAL.</param>
    /// <param name="baseDirectory">The model's directory, or <see langword="null"/> for a model read from memory.</param>
    /// <param name="modelPath">The model file, for messages.</param>
    /// <param name="expectedBytes">What the tensor's type and dims need.</param>
    /// <exception cref="OnnxFormatException">A key is missing or malformed, the file is missing, or the range does not fit.</exception>
    public static OnnxExternalLocation Resolve(TensorProto tensor, string? baseDirectory, string? modelPath, long expectedBytes)
    {
        string? location = null;
        long offset = 0;
        long? length = null;
        foreach (var entry in tensor.ExternalData)
        {
            switch (entry.Key)
            {
                case LocationKey:
                    location = entry.Value;
                    break;
                case OffsetKey:
                    offset = ParseNonNegative(entry.Value, tensor.Name, OffsetKey, modelPath);
                    break;
                case LengthKey:
                    length = ParseNonNegative(entry.Value, tensor.Name, LengthKey, modelPath);
                    break;
                default:
                    // "checksum" and future keys carry nothing we need to read the bytes.
                    break;
            }
        }

        if (location is null)
        {
            throw new OnnxFormatException($"Tensor '{tensor.Name}' has data_location EXTERNAL but no external_data entry '{LocationKey}'.", modelPath);
        }

        if (baseDirectory is null)
        {
            throw new OnnxFormatException(
                $"Tensor '{tensor.Name}' keeps its data in external file '{location}', but the model was read from memory without a directory; set {nameof(OnnxLoadOptions)}.{nameof(OnnxLoadOptions.ExternalDataDirectory)}.",
                modelPath);
        }

        var full = ResolveConfined(baseDirectory, location, tensor.Name, modelPath);
        var info = new FileInfo(full);
        if (!info.Exists)
        {
            throw new OnnxFormatException($"Tensor '{tensor.Name}': external data file '{location}' does not exist in '{baseDirectory}'.", full);
        }

        var actualLength = length ?? (info.Length - offset);
        if (actualLength != expectedBytes)
        {
            throw new OnnxFormatException(
                $"Tensor '{tensor.Name}': external data '{location}' holds {actualLength} bytes (offset {offset}, length {(length?.ToString(CultureInfo.InvariantCulture) ?? "to end of file")}); its type and dims need {expectedBytes}.",
                full);
        }

        if (offset > info.Length || actualLength > info.Length - offset)
        {
            throw new OnnxFormatException(
                $"Tensor '{tensor.Name}': external data range offset {offset} + length {actualLength} runs past the end of '{location}' ({info.Length} bytes).",
                full);
        }

        return new OnnxExternalLocation(full, location, offset, actualLength);
    }

    /// <summary>Reads the bytes of a resolved location.</summary>
    /// <exception cref="OnnxFormatException">The file changed since it was checked.</exception>
    public static byte[] Read(OnnxExternalLocation location, string tensorName)
    {
        if (location.Length > Array.MaxLength)
        {
            throw new OnnxFormatException($"Tensor '{tensorName}': {location.Length} bytes of external data do not fit in one array.", location.FullPath);
        }

        var buffer = new byte[location.Length];
        using var stream = new FileStream(location.FullPath, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        stream.Seek(location.Offset, SeekOrigin.Begin);
        try
        {
            stream.ReadExactly(buffer);
        }
        catch (EndOfStreamException ex)
        {
            throw new OnnxFormatException($"Tensor '{tensorName}': external data file '{location.Location}' is shorter than when the model was loaded.", location.FullPath, ex);
        }

        return buffer;
    }

    /// <summary>Points <paramref name="tensor"/> at <paramref name="length"/> bytes at <paramref name="offset"/> of <paramref name="location"/>.</summary>
    public static void SetExternal(TensorProto tensor, string location, long offset, long length)
    {
        tensor.ClearRawData();
        tensor.FloatData.Clear();
        tensor.Int32Data.Clear();
        tensor.Int64Data.Clear();
        tensor.DoubleData.Clear();
        tensor.Uint64Data.Clear();
        tensor.ExternalData.Clear();
        tensor.ExternalData.Add(new StringStringEntryProto { Key = LocationKey, Value = location });
        tensor.ExternalData.Add(new StringStringEntryProto { Key = OffsetKey, Value = offset.ToString(CultureInfo.InvariantCulture) });
        tensor.ExternalData.Add(new StringStringEntryProto { Key = LengthKey, Value = length.ToString(CultureInfo.InvariantCulture) });
        tensor.DataLocation = TensorProto.Types.DataLocation.External;
    }

    private static long ParseNonNegative(string text, string tensorName, string key, string? modelPath)
    {
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            throw new OnnxFormatException($"Tensor '{tensorName}': external_data '{key}' is '{text}'; expected a non-negative integer.", modelPath);
        }

        return value;
    }
}

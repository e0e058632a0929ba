using System.Globalization;
using EdgeAI.Vision;
using StbImageWriteSharp;

namespace EdgeAI.Agents.Inspection;

/// <summary>
/// Keeps inspection pictures (heatmap overlays, defect crops) in a local folder within a bound on file count
/// and bytes: after each write the oldest PNG files are deleted until both bounds hold. Pictures already in the
/// folder at start count towards the bounds (oldest by write time), so the bound holds across restarts.
/// </summary>
/// <remarks>
/// File names start with the frame's UTC timestamp and number, so they sort by time. Writes are on the caller's
/// thread and allocate the encoded image; meant for the opt-in local record, not the per-frame hot path.
/// Not thread-safe.
/// </remarks>
internal sealed class ImageStore
{
    private readonly string _directory;
    private readonly int _maxFiles;
    private readonly long _maxBytes;
    private readonly Queue<(string Path, long Bytes)> _files = new();
    private readonly ImageWriter _writer = new();
    private long _bytes;

    /// <exception cref="IOException">The folder cannot be created.</exception>
    public ImageStore(string directory, int maxFiles, long maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxFiles);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        _directory = Directory.CreateDirectory(directory).FullName;
        _maxFiles = maxFiles;
        _maxBytes = maxBytes;
        foreach (var file in new DirectoryInfo(_directory).EnumerateFiles("*.png").OrderBy(f => f.LastWriteTimeUtc).ThenBy(f => f.Name, StringComparer.Ordinal))
        {
            _files.Enqueue((file.FullName, file.Length));
            _bytes += file.Length;
        }

        Trim();
    }

    /// <summary>PNG files currently kept.</summary>
    public int Count => _files.Count;

    /// <summary>Bytes of the PNG files currently kept.</summary>
    public long Bytes => _bytes;

    /// <summary>The file-name stem for a frame: <c>yyyyMMddTHHmmssfffZ-f{frame}</c>.</summary>
    public static string Stem(DateTimeOffset timestamp, long frame) =>
        string.Create(CultureInfo.InvariantCulture, $"{timestamp.UtcDateTime:yyyyMMdd'T'HHmmssfff'Z'}-f{frame:D8}");

    /// <summary>Writes <c>{stem}-overlay.png</c>: the heatmap (w x h, values in [0, 1]) over the frame.</summary>
    public string SaveOverlay(string stem, Frame frame, ReadOnlySpan<float> heatmap, int heatmapWidth, int heatmapHeight)
    {
        var path = Path.Combine(_directory, stem + "-overlay.png");
        using (var file = File.Create(path))
        {
            HeatmapOverlay.WritePng(frame, heatmap, heatmapWidth, heatmapHeight, file);
        }

        Add(path);
        return path;
    }

    /// <summary>Writes <c>{stem}-crop{index}-{class}.png</c>: the frame's pixels inside <paramref name="box"/>.</summary>
    /// <returns>The file written, or <see langword="null"/> for an empty box.</returns>
    public string? SaveCrop(string stem, int index, string label, Frame frame, PixelBox box)
    {
        var x = Math.Clamp(box.X, 0, frame.Width);
        var y = Math.Clamp(box.Y, 0, frame.Height);
        var w = Math.Min(box.Width, frame.Width - x);
        var h = Math.Min(box.Height, frame.Height - y);
        if (w <= 0 || h <= 0)
        {
            return null;
        }

        var rowBytes = w * frame.Channels;
        var pixels = new byte[rowBytes * h];
        for (var row = 0; row < h; row++)
        {
            frame.Pixels.Slice(((y + row) * frame.Stride) + (x * frame.Channels), rowBytes).CopyTo(pixels.AsSpan(row * rowBytes));
        }

        var path = Path.Combine(_directory, string.Create(CultureInfo.InvariantCulture, $"{stem}-crop{index}-{label}.png"));
        using (var file = File.Create(path))
        {
            _writer.WritePng(pixels, w, h, frame.Channels == 3 ? ColorComponents.RedGreenBlue : ColorComponents.Grey, file);
        }

        Add(path);
        return path;
    }

    private void Add(string path)
    {
        var bytes = new FileInfo(path).Length;
        _files.Enqueue((path, bytes));
        _bytes += bytes;
        Trim();
    }

    private void Trim()
    {
        while (_files.Count > 0 && (_files.Count > _maxFiles || _bytes > _maxBytes))
        {
            var (path, bytes) = _files.Dequeue();
            _bytes -= bytes;
            try
            {
                File.Delete(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Removed or locked by someone else; it no longer counts as ours.
            }
        }
    }
}

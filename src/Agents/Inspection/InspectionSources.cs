using EdgeAI.Agents.Hosting;
using EdgeAI.Vision;
using Microsoft.Extensions.Logging;

namespace EdgeAI.Agents.Inspection;

/// <summary>Turns <c>Inspection:Source</c> into one of the SDK's camera sources.</summary>
internal static class InspectionSources
{
    /// <summary>Image extensions a simulated camera replays.</summary>
    public static readonly string[] ImageExtensions = [".png", ".jpg", ".jpeg", ".bmp"];

    /// <summary>The folder a simulated or folder source reads: the configured path, or the model's <c>demo</c> folder.</summary>
    public static string ResolvePath(InspectionOptions options, DeviceOptions device) =>
        string.IsNullOrWhiteSpace(options.Source.Path)
            ? Path.Combine(device.ResolvedModelsPath, options.Model, "demo")
            : DeviceOptions.Resolve(options.Source.Path);

    /// <summary>The pictures a simulated camera replays, in name order.</summary>
    public static string[] Pictures(string folder) =>
        Directory.Exists(folder)
            ? [.. Directory.GetFiles(folder).Where(f => ImageExtensions.Contains(Path.GetExtension(f).ToLowerInvariant())).Order(StringComparer.Ordinal)]
            : [];

    /// <summary>
    /// Whether the source keeps its own bounded backlog of frames that wait without going stale (a folder's
    /// files); the agent then waits for it instead of dropping frames in its own queue.
    /// </summary>
    public static bool KeepsBacklog(InspectionSourceKind kind) => kind == InspectionSourceKind.Folder;

    /// <summary>Creates the configured source (validated options).</summary>
    /// <exception cref="DirectoryNotFoundException">The folder went away since start-up.</exception>
    public static CameraSource Create(InspectionOptions options, DeviceOptions device, TimeProvider time, ILogger logger)
    {
        var source = options.Source;
        return source.Kind switch
        {
            InspectionSourceKind.Simulated => new SimulatedCamera(Pictures(ResolvePath(options, device)), source.ToSimulated(), time, logger: logger),
            InspectionSourceKind.Folder => new FolderCameraSource(ResolvePath(options, device), source.ToFolder(), time, logger: logger),
            InspectionSourceKind.Mjpeg => new MjpegHttpCameraSource(new Uri(source.Url!), source.ToMjpeg(), timeProvider: time, logger: logger),
            InspectionSourceKind.Ffmpeg or InspectionSourceKind.V4l2 => new FfmpegCameraSource(source.ToFfmpeg(), time, logger: logger),
            _ => throw new ArgumentOutOfRangeException(nameof(options), source.Kind, "Unknown Inspection:Source:Kind."),
        };
    }
}

namespace EdgeAI.Agents.Hosting;

/// <summary>Who this device is and where its files are (configuration section <c>Device</c>).</summary>
internal sealed class DeviceOptions
{
    public const string Section = "Device";

    /// <summary>Site (factory, store) the device belongs to; a topic level.</summary>
    public string Site { get; set; } = "site";

    /// <summary>Device id, unique within the site; a topic level.</summary>
    public string Id { get; set; } = Environment.MachineName.ToLowerInvariant();

    /// <summary>Folder of model directories; relative paths are taken from the program's folder.</summary>
    public string ModelsPath { get; set; } = "models";

    /// <summary>Folder for the device's state (the outbox); relative paths are taken from the program's folder.</summary>
    public string DataPath { get; set; } = "data";

    public string ResolvedModelsPath => Resolve(ModelsPath);

    public string ResolvedDataPath => Resolve(DataPath);

    /// <summary>An absolute path as is; a relative one taken from the program's folder.</summary>
    public static string Resolve(string path) => Path.IsPathRooted(path) ? path : Path.Combine(AppContext.BaseDirectory, path);
}

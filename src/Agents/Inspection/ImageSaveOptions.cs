namespace EdgeAI.Agents.Inspection;

/// <summary>
/// Local picture saving (configuration section <c>Inspection:SaveImages</c>). Pictures stay on the device:
/// nothing here puts an image on MQTT.
/// </summary>
internal sealed class ImageSaveOptions
{
    /// <summary>Which frames are saved; <see cref="ImageSaveMode.None"/> by default.</summary>
    public ImageSaveMode Mode { get; set; } = ImageSaveMode.None;

    /// <summary>
    /// A folder for the agent alone (PNG files in it are deleted oldest first to hold the bounds); relative
    /// paths are taken from <c>Device:DataPath</c>. Required unless <see cref="Mode"/> is none.
    /// </summary>
    public string? Directory { get; set; }

    /// <summary>Most PNG files kept in <see cref="Directory"/>; 1 to 1,000,000 (default 500).</summary>
    public int MaxFiles { get; set; } = 500;

    /// <summary>Most bytes of PNG files kept in <see cref="Directory"/>; 1 KiB to 1 TiB (default 256 MiB).</summary>
    public long MaxBytes { get; set; } = 256L << 20;
}

namespace EdgeAI.Vision;

/// <summary>How a <see cref="FolderCameraSource"/> watches its folder.</summary>
public sealed class FolderCameraOptions
{
    /// <summary>File extensions taken as images, compared case-insensitively (default .png, .jpg, .jpeg, .bmp).</summary>
    public IReadOnlyList<string> Extensions { get; set; } = [".png", ".jpg", ".jpeg", ".bmp"];

    /// <summary>
    /// How often the folder is scanned when no change notification arrives (default 500 ms). The scan is the
    /// fallback for file systems that do not raise notifications (network shares, some container mounts).
    /// </summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// How long a file's size and write time must stay unchanged before it is read (default 50 ms), so a file
    /// still being written is not taken half-done. Writers that create the file under another extension and
    /// rename it into place are never seen half-done.
    /// </summary>
    public TimeSpan SettleTime { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Use change notifications (default). Turn off where they are known not to work, e.g. a network share,
    /// to rely on the periodic scan alone.
    /// </summary>
    public bool UseFileSystemWatcher { get; set; } = true;

    /// <summary>Deliver the images already in the folder at start, oldest name first (default: only new files).</summary>
    public bool IncludeExistingFiles { get; set; }

    /// <summary>Most files waiting to be read; when more arrive the oldest are dropped and counted (default 32).</summary>
    public int MaxBacklog { get; set; } = 32;

    /// <summary>Pixel format of the frames (default RGB).</summary>
    public PixelFormat Format { get; set; } = PixelFormat.Rgb24;

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentException">A setting is out of range; the message names it.</exception>
    public void Validate()
    {
        if (Extensions is null || Extensions.Count == 0 || Extensions.Any(e => string.IsNullOrEmpty(e) || e[0] != '.'))
        {
            throw new ArgumentException($"{nameof(FolderCameraOptions)}.{nameof(Extensions)} must list at least one extension, each starting with '.'.", nameof(Extensions));
        }

        if (PollInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{nameof(FolderCameraOptions)}.{nameof(PollInterval)} is {PollInterval}; expected a positive interval.", nameof(PollInterval));
        }

        if (SettleTime < TimeSpan.Zero)
        {
            throw new ArgumentException($"{nameof(FolderCameraOptions)}.{nameof(SettleTime)} is {SettleTime}; expected zero or more.", nameof(SettleTime));
        }

        if (MaxBacklog <= 0)
        {
            throw new ArgumentException($"{nameof(FolderCameraOptions)}.{nameof(MaxBacklog)} is {MaxBacklog}; expected at least 1.", nameof(MaxBacklog));
        }

        if (Format is not (PixelFormat.Gray8 or PixelFormat.Rgb24))
        {
            throw new ArgumentException($"{nameof(FolderCameraOptions)}.{nameof(Format)} is {Format}; expected Gray8 or Rgb24.", nameof(Format));
        }
    }
}

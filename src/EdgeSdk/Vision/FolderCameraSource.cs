using Microsoft.Extensions.Logging;

namespace EdgeAI.Vision;

/// <summary>
/// Frames from image files as they appear in a folder (a camera or PLC that drops JPEGs on a share, a test
/// rig). New files are noticed through <see cref="FileSystemWatcher"/> and, as a fallback, by scanning every
/// <see cref="FolderCameraOptions.PollInterval"/>; each file is delivered once, in name order within a scan.
/// </summary>
/// <remarks>
/// Files are not deleted or moved. A file rewritten after it was read (new size or write time) is delivered again. A file that does not decode is counted as corrupt and skipped; a file that
/// disappears before it is read, or that overflows <see cref="FolderCameraOptions.MaxBacklog"/>, is counted as
/// dropped. The source never ends on its own: <see cref="CameraSource.ReadFrameAsync"/> waits for the next file.
/// </remarks>
public sealed class FolderCameraSource : CameraSource
{
    private readonly string _directory;
    private readonly FolderCameraOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ImageDecoder _decoder;
    private readonly FileSystemWatcher? _watcher;
    private readonly Dictionary<string, Observation> _delivered = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Observation> _pending = new(StringComparer.Ordinal);
    private readonly Queue<string> _ready = new();
    private readonly List<string> _found = [];
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _sequence;

    /// <summary>Starts watching <paramref name="directory"/>.</summary>
    /// <param name="directory">The folder; it must exist.</param>
    /// <param name="options">Filters, intervals and backlog; defaults when <see langword="null"/>.</param>
    /// <param name="timeProvider">Clock for polling, settling and frame timestamps; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <param name="decoder">Decoder with its size limits; a default one when <see langword="null"/>.</param>
    /// <param name="logger">Where skipped frames are reported.</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public FolderCameraSource(
        string directory,
        FolderCameraOptions? options = null,
        TimeProvider? timeProvider = null,
        ImageDecoder? decoder = null,
        ILogger? logger = null)
        : base("folder:" + directory, logger)
    {
        _directory = Path.GetFullPath(directory);
        if (!Directory.Exists(_directory))
        {
            throw new DirectoryNotFoundException($"Camera folder '{_directory}' does not exist.");
        }

        _options = options ?? new FolderCameraOptions();
        _options.Validate();
        _timeProvider = timeProvider ?? TimeProvider.System;
        _decoder = decoder ?? new ImageDecoder();

        if (!_options.IncludeExistingFiles)
        {
            foreach (var info in new DirectoryInfo(_directory).EnumerateFiles())
            {
                _delivered[info.FullName] = new Observation(info.Length, info.LastWriteTimeUtc, default);
            }
        }

        try
        {
            if (!_options.UseFileSystemWatcher)
            {
                return;
            }

            _watcher = new FileSystemWatcher(_directory) { IncludeSubdirectories = false };
            _watcher.Created += OnChanged;
            _watcher.Changed += OnChanged;
            _watcher.Renamed += OnChanged;
            _watcher.Error += (_, _) => Wake();
            _watcher.EnableRaisingEvents = true;
        }
        catch (Exception ex) when (ex is IOException or PlatformNotSupportedException or ArgumentException)
        {
            // Out of inotify watches, or a file system without notifications: scanning alone still works.
            _watcher?.Dispose();
            _watcher = null;
        }
    }

    /// <summary>Whether change notifications are active (otherwise only the periodic scan finds files).</summary>
    public bool IsWatching => _watcher is not null;

    /// <inheritdoc />
    protected override async ValueTask<Frame?> ReadFrameCoreAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_ready.TryDequeue(out var path))
            {
                if (TryRead(path) is { } frame)
                {
                    return frame;
                }

                continue;
            }

            var wake = Volatile.Read(ref _wake);
            Scan();
            if (_ready.Count > 0)
            {
                continue;
            }

            // A file seen but not yet settled is looked at again as soon as it may have settled.
            var wait = _pending.Count > 0 && _options.SettleTime < _options.PollInterval ? _options.SettleTime : _options.PollInterval;
            await Task.WhenAny(wake.Task, Task.Delay(wait, _timeProvider, cancellationToken)).ConfigureAwait(false);
            if (wake.Task.IsCompleted)
            {
                Interlocked.CompareExchange(ref _wake, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), wake);
            }
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _watcher?.Dispose();
        }

        base.Dispose(disposing);
    }

    private Frame? TryRead(string path)
    {
        var sequence = _sequence++;
        byte[] bytes;
        try
        {
            var length = new FileInfo(path).Length;
            if (length > _decoder.Options.MaxEncodedBytes)
            {
                CountCorrupt($"Image '{path}' is {length} bytes; at most {_decoder.Options.MaxEncodedBytes} are accepted ({nameof(ImageDecoderOptions)}.{nameof(ImageDecoderOptions.MaxEncodedBytes)}).");
                return null;
            }

            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Deleted or locked between the scan and the read: the frame never reached us.
            CountDropped();
            return null;
        }

        try
        {
            return _decoder.Decode(bytes, _options.Format, path, sequence, _timeProvider.GetUtcNow());
        }
        catch (ImageFormatException ex)
        {
            CountCorrupt(ex.Message);
            return null;
        }
    }

    private void Scan()
    {
        var now = _timeProvider.GetUtcNow();
        _found.Clear();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            foreach (var info in new DirectoryInfo(_directory).EnumerateFiles())
            {
                var path = info.FullName;
                seen.Add(path);
                var observation = new Observation(info.Length, info.LastWriteTimeUtc, now);
                if (_delivered.TryGetValue(path, out var delivered))
                {
                    if (delivered.SameContent(observation))
                    {
                        continue;
                    }

                    // Rewritten since it was read (a camera overwriting "latest.jpg", or a writer that paused for
                    // longer than SettleTime): it is a new image.
                    _delivered.Remove(path);
                }

                if (!HasImageExtension(path))
                {
                    continue;
                }

                if (_pending.TryGetValue(path, out var previous) && previous.SameContent(observation))
                {
                    if (observation.Length > 0 && now - previous.Since >= _options.SettleTime)
                    {
                        _found.Add(path);
                    }
                }
                else
                {
                    _pending[path] = observation;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The folder went away (unmounted share) or a file vanished mid-scan; try again next time.
            return;
        }

        _found.Sort(StringComparer.Ordinal);
        foreach (var path in _found)
        {
            _delivered[path] = _pending[path];
            _pending.Remove(path);
            _ready.Enqueue(path);
            if (_ready.Count > _options.MaxBacklog)
            {
                _ready.Dequeue();
                _sequence++;
                CountDropped();
            }
        }

        // Forget files that are gone, so a long-running source does not grow without bound (and a file
        // written again under the same name is delivered again).
        foreach (var gone in _delivered.Keys.Where(p => !seen.Contains(p)).ToList())
        {
            _delivered.Remove(gone);
        }

        foreach (var gone in _pending.Keys.Where(p => !seen.Contains(p)).ToList())
        {
            _pending.Remove(gone);
        }
    }

    private bool HasImageExtension(string path)
    {
        var extension = Path.GetExtension(path.AsSpan());
        foreach (var e in _options.Extensions)
        {
            if (extension.Equals(e, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private void OnChanged(object sender, FileSystemEventArgs e) => Wake();

    private void Wake() => Volatile.Read(ref _wake).TrySetResult();

    private readonly record struct Observation(long Length, DateTime WriteTime, DateTimeOffset Since)
    {
        public bool SameContent(Observation other) => Length == other.Length && WriteTime == other.WriteTime;
    }
}

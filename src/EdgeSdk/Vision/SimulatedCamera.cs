using Microsoft.Extensions.Logging;

namespace EdgeAI.Vision;

/// <summary>
/// A camera that replays image files at a fixed frame rate on an injected clock, for tests, demos and
/// bench runs without hardware. Like a real camera it does not wait for a slow reader: a frame whose time
/// slot has passed is dropped (counted in <see cref="CameraSource.DroppedFrames"/>) and its sequence number skipped.
/// </summary>
/// <remarks>
/// Frame <c>k</c> is due at <c>start + k / FramesPerSecond</c>, where <c>start</c> is the time of the first read;
/// its <see cref="Frame.Timestamp"/> is that due time. The files are read once, at construction; a file that
/// does not decode is counted as corrupt each time its turn comes.
/// </remarks>
public sealed class SimulatedCamera : CameraSource
{
    private readonly byte[]?[] _images;
    private readonly string[] _paths;
    private readonly SimulatedCameraOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ImageDecoder _decoder;
    private readonly long _periodTicks;
    private DateTimeOffset? _start;
    private long _slot;

    /// <summary>Creates the camera and reads the files.</summary>
    /// <param name="paths">Images to replay in order (PNG, JPEG or BMP); at least one.</param>
    /// <param name="options">Rate, looping and pixel format; defaults when <see langword="null"/>.</param>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <param name="decoder">Decoder with its size limits; a default one when <see langword="null"/>.</param>
    /// <param name="logger">Where skipped frames are reported.</param>
    /// <exception cref="ArgumentException">No paths, or an option is out of range.</exception>
    /// <exception cref="FileNotFoundException">A file does not exist.</exception>
    public SimulatedCamera(
        IReadOnlyList<string> paths,
        SimulatedCameraOptions? options = null,
        TimeProvider? timeProvider = null,
        ImageDecoder? decoder = null,
        ILogger? logger = null)
        : base("simulated:" + (paths?.Count > 0 ? Path.GetDirectoryName(Path.GetFullPath(paths[0])) : "none"), logger)
    {
        ArgumentNullException.ThrowIfNull(paths);
        if (paths.Count == 0)
        {
            throw new ArgumentException("A simulated camera needs at least one image file to replay.", nameof(paths));
        }

        _options = options ?? new SimulatedCameraOptions();
        _options.Validate();
        _timeProvider = timeProvider ?? TimeProvider.System;
        _decoder = decoder ?? new ImageDecoder();
        _periodTicks = Math.Max(1, (long)Math.Round(TimeSpan.TicksPerSecond / _options.FramesPerSecond));
        _paths = [.. paths];
        _images = new byte[]?[_paths.Length];
        for (var i = 0; i < _paths.Length; i++)
        {
            var length = new FileInfo(_paths[i]).Length;
            _images[i] = length > _decoder.Options.MaxEncodedBytes ? null : File.ReadAllBytes(_paths[i]);
        }
    }

    /// <summary>Time between frames.</summary>
    public TimeSpan FramePeriod => TimeSpan.FromTicks(_periodTicks);

    /// <inheritdoc />
    protected override async ValueTask<Frame?> ReadFrameCoreAsync(CancellationToken cancellationToken)
    {
        var start = _start ??= _timeProvider.GetUtcNow();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var now = _timeProvider.GetUtcNow();

            // The slot open now; every earlier slot not yet delivered has passed and is dropped.
            var current = (now - start).Ticks / _periodTicks;
            if (current > _slot)
            {
                var last = _options.Loop ? current : Math.Min(current, _images.Length);
                if (last > _slot)
                {
                    CountDropped(last - _slot);
                    _slot = last;
                }
            }

            if (!_options.Loop && _slot >= _images.Length)
            {
                return null;
            }

            var due = start + TimeSpan.FromTicks(_slot * _periodTicks);
            if (due > now)
            {
                await Task.Delay(due - now, _timeProvider, cancellationToken).ConfigureAwait(false);
            }

            var sequence = _slot++;
            var index = (int)(sequence % _images.Length);
            if (_images[index] is not { } image)
            {
                CountCorrupt($"Image '{_paths[index]}' is larger than {nameof(ImageDecoderOptions)}.{nameof(ImageDecoderOptions.MaxEncodedBytes)} ({_decoder.Options.MaxEncodedBytes} bytes).");
                continue;
            }

            try
            {
                return _decoder.Decode(image, _options.Format, _paths[index], sequence, due);
            }
            catch (ImageFormatException ex)
            {
                CountCorrupt(ex.Message);
            }
        }
    }
}

using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace EdgeAI.Vision;

/// <summary>
/// Frames from anything ffmpeg can read (a V4L2 camera, an RTSP stream, a file), run as a child process
/// writing MJPEG, or raw frames of a fixed size (<see cref="FfmpegCameraOptions.RawWidth"/>), to its stdout. ffmpeg does the
/// device work; this source splits the JPEG stream and decodes, or reads each raw frame straight into a pooled
/// <see cref="Frame"/>, and counts corrupt images like the other sources. The source ends when ffmpeg exits.
/// </summary>
/// <remarks>
/// ffmpeg's own error output is kept (last lines) and reported in <see cref="LastError"/>. Disposing the source
/// kills the ffmpeg process. The clock stamps frames when their last byte arrives.
/// </remarks>
public sealed class FfmpegCameraSource : CameraSource
{
    private const int KeptErrorLines = 20;
    private readonly FfmpegCameraOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ImageDecoder _decoder;
    private readonly Queue<string> _errors = new();
    private Process? _process;
    private JpegStreamSplitter? _splitter;
    private Stream? _raw;
    private Frame? _pendingRaw;
    private int _pendingRawFilled;
    private bool _ended;
    private long _sequence;

    /// <summary>Creates the source; ffmpeg is started by the first read.</summary>
    /// <param name="options">ffmpeg path and input; see <see cref="FfmpegCameraOptions.ForV4l2"/>.</param>
    /// <param name="timeProvider">Clock for frame timestamps; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <param name="decoder">Decoder with its size limits; a default one when <see langword="null"/>.</param>
    /// <param name="logger">Where skipped frames are reported.</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public FfmpegCameraSource(FfmpegCameraOptions options, TimeProvider? timeProvider = null, ImageDecoder? decoder = null, ILogger? logger = null)
        : base("ffmpeg:" + string.Join(' ', options?.InputArguments ?? []), logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _decoder = decoder ?? new ImageDecoder();
    }

    /// <summary>The last lines ffmpeg wrote to its error output (empty while all is well).</summary>
    public string LastError
    {
        get
        {
            lock (_errors)
            {
                return string.Join('\n', _errors);
            }
        }
    }

    /// <summary>ffmpeg's exit code once it has exited; otherwise <see langword="null"/>.</summary>
    public int? ExitCode => _process is { HasExited: true } p ? p.ExitCode : null;

    /// <inheritdoc />
    /// <exception cref="System.ComponentModel.Win32Exception">ffmpeg could not be started (not installed, not executable).</exception>
    protected override async ValueTask<Frame?> ReadFrameCoreAsync(CancellationToken cancellationToken)
    {
        if (_ended)
        {
            return null;
        }

        if (_options.RawFrames)
        {
            return await ReadRawFrameAsync(cancellationToken).ConfigureAwait(false);
        }

        _splitter ??= new JpegStreamSplitter(Start(), _options.MaxFrameBytes, CountCorrupt);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var image = await _splitter.ReadImageAsync(cancellationToken).ConfigureAwait(false);
            if (image is not { } jpeg)
            {
                await EndAsync(cancellationToken).ConfigureAwait(false);
                return null;
            }

            var sequence = _sequence++;
            try
            {
                return _decoder.Decode(jpeg, _options.Format, string.Create(CultureInfo.InvariantCulture, $"{Name}#{sequence}"), sequence, _timeProvider.GetUtcNow());
            }
            catch (ImageFormatException ex)
            {
                CountCorrupt(ex.Message);
            }
        }
    }

    private async ValueTask<Frame?> ReadRawFrameAsync(CancellationToken cancellationToken)
    {
        _raw ??= Start();

        // A cancelled read keeps the partly filled frame, so the next read resumes at the same byte and the stream stays
        // aligned on frame boundaries.
        var frame = _pendingRaw ??= Frame.Rent(_options.RawWidth, _options.RawHeight, _options.Format, _sequence, default, string.Create(CultureInfo.InvariantCulture, $"{Name}#{_sequence}"));
        var memory = frame.PixelMemory;
        while (_pendingRawFilled < memory.Length)
        {
            var n = await _raw.ReadAsync(memory[_pendingRawFilled..], cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                if (_pendingRawFilled > 0)
                {
                    _sequence++;
                    CountCorrupt($"{frame.SourceId}: ffmpeg ended inside a raw frame ({_pendingRawFilled} of {memory.Length} bytes)");
                }

                TakePendingRaw().Dispose();
                await EndAsync(cancellationToken).ConfigureAwait(false);
                return null;
            }

            _pendingRawFilled += n;
        }

        _sequence++;
        frame.Stamp(_timeProvider.GetUtcNow());
        return TakePendingRaw();
    }

    private Frame TakePendingRaw()
    {
        var frame = _pendingRaw!;
        _pendingRaw = null;
        _pendingRawFilled = 0;
        return frame;
    }

    private async ValueTask EndAsync(CancellationToken cancellationToken)
    {
        _ended = true;
        if (_process is { } p)
        {
            await p.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            if (_process is { } p)
            {
                try
                {
                    if (!p.HasExited)
                    {
                        p.Kill(entireProcessTree: true);
                    }
                }
                catch (InvalidOperationException)
                {
                    // Exited between the check and the kill.
                }

                p.Dispose();
            }

            _splitter?.Dispose();
            _pendingRaw?.Dispose();
        }

        base.Dispose(disposing);
    }

    private Stream Start()
    {
        var start = new ProcessStartInfo(_options.FfmpegPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
        };
        foreach (var a in (string[])["-hide_banner", "-loglevel", "error", "-nostdin"])
        {
            start.ArgumentList.Add(a);
        }

        foreach (var a in _options.InputArguments)
        {
            start.ArgumentList.Add(a);
        }

        string[] output = _options switch
        {
            { RawFrames: true } => ["-f", "rawvideo", "-pix_fmt", _options.Format == PixelFormat.Gray8 ? "gray" : "rgb24",
                "-s", string.Create(CultureInfo.InvariantCulture, $"{_options.RawWidth}x{_options.RawHeight}"), "pipe:1"],
            { CopyMjpeg: true } => ["-c:v", "copy", "-f", "mjpeg", "pipe:1"],
            _ => ["-c:v", "mjpeg", "-q:v", _options.Quality.ToString(CultureInfo.InvariantCulture), "-f", "mjpeg", "pipe:1"],
        };
        foreach (var a in output)
        {
            start.ArgumentList.Add(a);
        }

        var process = new Process { StartInfo = start };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { Length: > 0 } line)
            {
                lock (_errors)
                {
                    _errors.Enqueue(line);
                    if (_errors.Count > KeptErrorLines)
                    {
                        _errors.Dequeue();
                    }
                }
            }
        };
        process.Start();
        process.BeginErrorReadLine();
        _process = process;
        return process.StandardOutput.BaseStream;
    }
}

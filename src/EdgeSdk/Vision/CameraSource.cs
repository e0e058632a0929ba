using System.Numerics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeAI.Vision;

/// <summary>
/// A stream of <see cref="Frame"/>s from a camera, a folder or a file replay. Bad frames never end the stream:
/// they are counted in <see cref="CorruptFrames"/>, logged (the 1st, 2nd, 4th, 8th... occurrence), and skipped.
/// </summary>
/// <remarks>
/// One reader at a time: <see cref="ReadFrameAsync"/> must not be called concurrently. The counters may be
/// read from any thread. The caller owns each returned frame and must dispose it.
/// </remarks>
public abstract class CameraSource : IDisposable
{
    private long _delivered;
    private long _dropped;
    private long _corrupt;
    private int _reading;
    private bool _disposed;

    /// <summary>Creates the source.</summary>
    /// <param name="name">Identifies the source in logs and frame ids (a folder path, a URL).</param>
    /// <param name="logger">Where skipped frames are reported; nothing is logged when <see langword="null"/>.</param>
    protected CameraSource(string name, ILogger? logger)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        Logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Identifies the source in logs and frame ids.</summary>
    public string Name { get; }

    /// <summary>Frames returned to the reader so far.</summary>
    public long FramesDelivered => Interlocked.Read(ref _delivered);

    /// <summary>Frames lost because the reader was too slow or the backlog was full; they never reached the decoder.</summary>
    public long DroppedFrames => Interlocked.Read(ref _dropped);

    /// <summary>Frames received but unusable: undecodable, truncated, too large or malformed in transport.</summary>
    public long CorruptFrames => Interlocked.Read(ref _corrupt);

    /// <summary>The logger given at construction, or a null logger.</summary>
    protected ILogger Logger { get; }

    /// <summary>Waits for the next good frame.</summary>
    /// <param name="cancellationToken">Stops the wait.</param>
    /// <returns>The frame (owned by the caller), or <see langword="null"/> when the source has ended for good.</returns>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    /// <exception cref="InvalidOperationException">Another read is in progress.</exception>
    /// <exception cref="ObjectDisposedException">The source was disposed.</exception>
    public async ValueTask<Frame?> ReadFrameAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Interlocked.Exchange(ref _reading, 1) != 0)
        {
            throw new InvalidOperationException($"Camera source '{Name}' is already being read; a source has one reader at a time.");
        }

        try
        {
            var frame = await ReadFrameCoreAsync(cancellationToken).ConfigureAwait(false);
            if (frame is not null)
            {
                Interlocked.Increment(ref _delivered);
            }

            return frame;
        }
        finally
        {
            Volatile.Write(ref _reading, 0);
        }
    }

    /// <summary>All frames until the source ends or <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <param name="cancellationToken">Stops the enumeration.</param>
    public async IAsyncEnumerable<Frame> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (await ReadFrameAsync(cancellationToken).ConfigureAwait(false) is { } frame)
        {
            yield return frame;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Reads the next good frame; corrupt and dropped frames are counted and skipped here.</summary>
    /// <param name="cancellationToken">Stops the wait.</param>
    /// <returns>The next frame, or <see langword="null"/> at the end of the source.</returns>
    protected abstract ValueTask<Frame?> ReadFrameCoreAsync(CancellationToken cancellationToken);

    /// <summary>Releases the source's resources.</summary>
    /// <param name="disposing"><see langword="true"/> when called from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing) => _disposed = true;

    /// <summary>Counts a frame that was received but could not be used, and logs it at exponentially spaced counts.</summary>
    /// <param name="reason">What was wrong, naming the frame.</param>
    protected void CountCorrupt(string reason)
    {
        var count = Interlocked.Increment(ref _corrupt);
        if (BitOperations.IsPow2(count))
        {
            VisionLog.CorruptFrame(Logger, Name, count, reason);
        }
    }

    /// <summary>Counts frames that were lost before decoding (reader too slow, backlog full).</summary>
    /// <param name="count">How many (≥ 1).</param>
    protected void CountDropped(long count = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        var total = Interlocked.Add(ref _dropped, count);
        if (BitOperations.IsPow2(total) || BitOperations.Log2((ulong)total) != BitOperations.Log2((ulong)(total - count)))
        {
            VisionLog.DroppedFrames(Logger, Name, count, total);
        }
    }
}

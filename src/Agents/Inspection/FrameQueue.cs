using System.Threading.Channels;
using EdgeAI.Vision;

namespace EdgeAI.Agents.Inspection;

/// <summary>
/// The hand-over between a camera and the model: a pump reads the source as fast as it delivers into a
/// queue of at most <c>capacity</c> frames, and the inspection loop takes frames out. With
/// <c>dropOldest</c> (live cameras) a full queue discards its oldest frame (disposed and counted in
/// <see cref="DroppedFrames"/>), so a slow model always works on the newest frames and nothing queues without
/// bound; otherwise the pump waits and the source's own backlog takes the strain (a folder of files).
/// </summary>
/// <remarks>One pump and one reader. Frames still queued when the queue is disposed are disposed.</remarks>
internal sealed class FrameQueue : IDisposable
{
    private readonly Channel<Frame> _channel;
    private long _dropped;

    public FrameQueue(int capacity, bool dropOldest)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _channel = Channel.CreateBounded<Frame>(
            new BoundedChannelOptions(capacity)
            {
                FullMode = dropOldest ? BoundedChannelFullMode.DropOldest : BoundedChannelFullMode.Wait,
                SingleReader = true,
                SingleWriter = true,
            },
            OnDropped);
    }

    /// <summary>Frames this queue discarded because the reader was behind (the source's own drops are not included).</summary>
    public long DroppedFrames => Interlocked.Read(ref _dropped);

    /// <summary>
    /// Reads <paramref name="source"/> into the queue until it ends, fails or <paramref name="cancellationToken"/>
    /// is cancelled; then completes the queue (with the source's exception, if any, which the reader sees).
    /// </summary>
    public async Task PumpAsync(CameraSource source, CancellationToken cancellationToken)
    {
        Exception? failure = null;
        try
        {
            while (await source.ReadFrameAsync(cancellationToken).ConfigureAwait(false) is { } frame)
            {
                try
                {
                    await _channel.Writer.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    frame.Dispose();
                    throw;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
        catch (ChannelClosedException)
        {
            // The reader is gone.
        }
        catch (Exception ex)
        {
            failure = ex;
        }

        _channel.Writer.TryComplete(failure);
    }

    /// <summary>The queued frames in arrival order, until the pump completes; the caller disposes each.</summary>
    /// <exception cref="Exception">Whatever ended the source (a refused stream, ffmpeg missing).</exception>
    public IAsyncEnumerable<Frame> ReadAllAsync(CancellationToken cancellationToken) => _channel.Reader.ReadAllAsync(cancellationToken);

    /// <summary>Disposes the frames still waiting; call after the pump has finished.</summary>
    public void Dispose()
    {
        _channel.Writer.TryComplete();
        while (_channel.Reader.TryRead(out var frame))
        {
            frame.Dispose();
        }
    }

    private void OnDropped(Frame frame)
    {
        frame.Dispose();
        Interlocked.Increment(ref _dropped);
    }
}

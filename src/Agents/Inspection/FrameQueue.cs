using System.Runtime.CompilerServices;
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
/// <remarks>
/// One pump and one reader. Frames still queued when the queue is disposed are disposed. Each frame read comes with
/// the queue's drops before it, computed from the frame's position in the pump's order rather than from the drop
/// counter: the channel reports a drop after the newer frame is already readable, so a reader taking that frame at
/// once would see the counter one short.
/// </remarks>
internal sealed class FrameQueue : IDisposable
{
    private readonly Channel<Entry> _channel;
    private long _dropped;
    private long _written;

    public FrameQueue(int capacity, bool dropOldest)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _channel = Channel.CreateBounded<Entry>(
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
                    await _channel.Writer.WriteAsync(new Entry(frame, _written), cancellationToken).ConfigureAwait(false);
                    _written++;
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

    /// <summary>
    /// The queued frames in arrival order, until the pump completes, each with the number of frames this queue dropped
    /// before it (exact: every frame the pump queued before it and this reader did not get); the caller disposes each.
    /// </summary>
    /// <exception cref="Exception">Whatever ended the source (a refused stream, ffmpeg missing).</exception>
    public async IAsyncEnumerable<QueuedFrame> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        long read = 0;
        await foreach (var entry in _channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return new QueuedFrame(entry.Frame, entry.Position - read);
            read++;
        }
    }

    /// <summary>Disposes the frames still waiting; call after the pump has finished.</summary>
    public void Dispose()
    {
        _channel.Writer.TryComplete();
        while (_channel.Reader.TryRead(out var entry))
        {
            entry.Frame.Dispose();
        }
    }

    private void OnDropped(Entry entry)
    {
        entry.Frame.Dispose();
        Interlocked.Increment(ref _dropped);
    }

    /// <param name="Frame">The frame.</param>
    /// <param name="Position">How many frames the pump queued before it.</param>
    private readonly record struct Entry(Frame Frame, long Position);
}

/// <summary>A frame out of a <see cref="FrameQueue"/>.</summary>
/// <param name="Frame">The frame; the reader disposes it.</param>
/// <param name="DroppedBefore">Frames the queue discarded before this one (all its drops so far).</param>
internal readonly record struct QueuedFrame(Frame Frame, long DroppedBefore);

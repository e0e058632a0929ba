using System.Buffers;

namespace EdgeAI.Vision;

/// <summary>
/// One camera image: 8-bit interleaved pixels in a buffer rented from <see cref="ArrayPool{T}.Shared"/>,
/// with the time it was captured and its sequence number. Dispose it to return the buffer.
/// </summary>
/// <remarks>
/// Sequence numbers come from the source and count every frame it saw, including the dropped and corrupt
/// ones, so a gap between two frames means frames were lost. Not thread-safe; a frame has one owner at a time.
/// </remarks>
public sealed class Frame : IDisposable
{
    private byte[]? _buffer;
    private readonly int _length;

    private Frame(byte[] buffer, int width, int height, PixelFormat format, long sequenceNumber, DateTimeOffset timestamp, string sourceId)
    {
        _buffer = buffer;
        _length = checked(width * height * (int)format);
        Width = width;
        Height = height;
        Format = format;
        SequenceNumber = sequenceNumber;
        Timestamp = timestamp;
        SourceId = sourceId;
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>Pixel layout.</summary>
    public PixelFormat Format { get; }

    /// <summary>Bytes per pixel: 1 or 3.</summary>
    public int Channels => (int)Format;

    /// <summary>Bytes per row (no padding): <see cref="Width"/> times <see cref="Channels"/>.</summary>
    public int Stride => Width * (int)Format;

    /// <summary>Position of the frame in its source's stream, starting at 0; gaps mark lost frames.</summary>
    public long SequenceNumber { get; }

    /// <summary>When the frame was captured, from the source's <see cref="TimeProvider"/>.</summary>
    public DateTimeOffset Timestamp { get; private set; }

    /// <summary>Where the frame came from: a file path, or a stream address with <c>#sequence</c>.</summary>
    public string SourceId { get; }

    /// <summary>The pixels, <see cref="Stride"/> times <see cref="Height"/> bytes; writable by the frame's owner.</summary>
    /// <exception cref="ObjectDisposedException">The frame was disposed.</exception>
    public Span<byte> Pixels
    {
        get
        {
            ObjectDisposedException.ThrowIf(_buffer is null, this);
            return _buffer.AsSpan(0, _length);
        }
    }

    /// <summary>Sets <see cref="Timestamp"/> once the pixels are in (a source that reads into the frame knows the time only then).</summary>
    internal void Stamp(DateTimeOffset timestamp) => Timestamp = timestamp;

    /// <summary>The pixels as memory, for asynchronous reads into the frame (same bytes as <see cref="Pixels"/>).</summary>
    internal Memory<byte> PixelMemory
    {
        get
        {
            ObjectDisposedException.ThrowIf(_buffer is null, this);
            return _buffer.AsMemory(0, _length);
        }
    }

    /// <summary>Creates a frame whose pixel buffer is rented from the shared pool; its content is undefined until written.</summary>
    /// <param name="width">Width in pixels (> 0).</param>
    /// <param name="height">Height in pixels (> 0).</param>
    /// <param name="format">Pixel layout.</param>
    /// <param name="sequenceNumber">Position in the source's stream (≥ 0).</param>
    /// <param name="timestamp">Capture time.</param>
    /// <param name="sourceId">File path or frame id, for messages.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, the format is unknown, or the frame exceeds 2 GiB.</exception>
    public static Frame Rent(int width, int height, PixelFormat format, long sequenceNumber, DateTimeOffset timestamp, string sourceId)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegative(sequenceNumber);
        ArgumentNullException.ThrowIfNull(sourceId);
        if (format is not (PixelFormat.Gray8 or PixelFormat.Rgb24))
        {
            throw new ArgumentOutOfRangeException(nameof(format), format, "Expected Gray8 or Rgb24.");
        }

        var bytes = (long)width * height * (int)format;
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bytes, Array.MaxLength, nameof(width));
        return new Frame(ArrayPool<byte>.Shared.Rent((int)bytes), width, height, format, sequenceNumber, timestamp, sourceId);
    }

    /// <summary>Returns the pixel buffer to the pool. Safe to call more than once.</summary>
    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

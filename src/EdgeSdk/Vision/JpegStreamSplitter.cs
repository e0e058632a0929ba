using System.Buffers;

namespace EdgeAI.Vision;

/// <summary>
/// Splits a byte stream of concatenated JPEG images (ffmpeg's <c>-f mjpeg</c> output) into single images by
/// walking the JPEG marker structure: segments are skipped by their length, and only entropy-coded data is
/// scanned, where 0xFF is always followed by 0x00 or a restart marker, so the end-of-image marker (FFD9) cannot
/// be confused with table or thumbnail bytes.
/// </summary>
internal sealed class JpegStreamSplitter : IDisposable
{
    private const int ReadChunk = 64 << 10;
    private static readonly byte[] StartOfImage = [0xFF, 0xD8, 0xFF];
    private readonly Stream _stream;
    private readonly int _maxImage;
    private readonly Action<string> _corrupt;
    private byte[] _buffer;
    private int _start;
    private int _end;
    private bool _endOfStream;

    public JpegStreamSplitter(Stream stream, int maxImage, Action<string> corrupt)
    {
        _stream = stream;
        _maxImage = maxImage;
        _corrupt = corrupt;
        _buffer = ArrayPool<byte>.Shared.Rent(maxImage + (2 * ReadChunk));
    }

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, []);
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The next complete JPEG (valid until the next call), or <see langword="null"/> at the end of the stream.</summary>
    public async ValueTask<ArraySegment<byte>?> ReadImageAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            // Find the start-of-image marker, dropping anything before it.
            int soi;
            while ((soi = _buffer.AsSpan(_start, _end - _start).IndexOf(StartOfImage)) < 0)
            {
                _start = Math.Max(_start, _end - 2);
                if (!await FillAsync(cancellationToken).ConfigureAwait(false))
                {
                    return null;
                }
            }

            _start += soi;
            var length = await MeasureAsync(cancellationToken).ConfigureAwait(false);
            if (length > 0)
            {
                var image = new ArraySegment<byte>(_buffer, _start, length);
                _start += length;
                return image;
            }

            if (length == 0)
            {
                // The stream ended inside an image.
                if (_end > _start)
                {
                    _corrupt($"the stream ended {_end - _start} bytes into a JPEG");
                }

                return null;
            }

            // Malformed or too large: skip this start marker and look for the next image.
            _start += 2;
        }
    }

    /// <summary>Length of the JPEG starting at <c>_start</c>; 0 if the stream ended first; -1 if malformed or too large.</summary>
    private async ValueTask<int> MeasureAsync(CancellationToken cancellationToken)
    {
        var p = 2; // offset from _start, just after SOI
        var inScan = false;
        while (true)
        {
            if (p > _maxImage)
            {
                _corrupt($"a JPEG runs past {_maxImage} bytes without its end-of-image marker (MaxFrameBytes)");
                return -1;
            }

            if (_start + p + 2 > _end)
            {
                if (!await FillAsync(cancellationToken).ConfigureAwait(false))
                {
                    return 0;
                }

                continue;
            }

            var data = _buffer.AsSpan(_start, _end - _start);
            if (inScan)
            {
                // Entropy-coded data: look for FF followed by something other than 00 (stuffing) or D0-D7 (restart).
                var i = data[p..].IndexOf((byte)0xFF);
                if (i < 0 || p + i + 1 >= data.Length)
                {
                    p = i < 0 ? data.Length : p + i;
                    if (!await FillAsync(cancellationToken).ConfigureAwait(false))
                    {
                        return 0;
                    }

                    continue;
                }

                var next = data[p + i + 1];
                if (next == 0x00 || next is >= 0xD0 and <= 0xD7 || next == 0xFF)
                {
                    p += i + (next == 0xFF ? 1 : 2);
                    continue;
                }

                p += i;
                inScan = false;
                continue;
            }

            if (data[p] != 0xFF)
            {
                _corrupt($"a JPEG has byte 0x{data[p]:X2} where a marker was expected (offset {p})");
                return -1;
            }

            var marker = data[p + 1];
            if (marker == 0xFF)
            {
                p++;
                continue;
            }

            if (marker == 0xD9)
            {
                return p + 2;
            }

            if (marker is 0x01 or (>= 0xD0 and <= 0xD7))
            {
                p += 2;
                continue;
            }

            if (marker == 0xD8)
            {
                _corrupt("a JPEG starts again before its end-of-image marker (truncated image)");
                return -1;
            }

            if (p + 4 > data.Length)
            {
                if (!await FillAsync(cancellationToken).ConfigureAwait(false))
                {
                    return 0;
                }

                continue;
            }

            var segment = (data[p + 2] << 8) | data[p + 3];
            if (segment < 2)
            {
                _corrupt($"a JPEG segment declares length {segment} (offset {p})");
                return -1;
            }

            p += 2 + segment;
            inScan = marker == 0xDA;
        }
    }

    private async ValueTask<bool> FillAsync(CancellationToken cancellationToken)
    {
        if (_endOfStream)
        {
            return false;
        }

        if (_start > 0 && _buffer.Length - _end < ReadChunk)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            // Cannot happen while images are limited to maxImage; treat as a broken stream rather than loop.
            _endOfStream = true;
            return false;
        }

        int read;
        try
        {
            read = await _stream.ReadAsync(_buffer.AsMemory(_end, Math.Min(ReadChunk, _buffer.Length - _end)), cancellationToken).ConfigureAwait(false);
        }
        catch (IOException)
        {
            read = 0;
        }

        if (read == 0)
        {
            _endOfStream = true;
            return false;
        }

        _end += read;
        return true;
    }
}

using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace EdgeAI.Vision;

/// <summary>
/// Splits a <c>multipart/x-mixed-replace</c> byte stream into part bodies without trusting it: the boundary
/// is searched for rather than jumped to with Content-Length, a body that grows past the part limit is
/// discarded while scanning, and a missing boundary parameter is recovered from the first <c>--</c> line.
/// </summary>
/// <remarks>
/// One buffer of <c>maxPart + maxHeader + 64 KiB</c> bytes is rented for the reader's life; bodies are returned
/// as slices of it, valid until the next call.
/// </remarks>
internal sealed class MultipartStreamReader : IDisposable
{
    private const int ReadChunk = 64 << 10;
    private static readonly byte[] NewLine = "\n"u8.ToArray();
    private static readonly byte[] DashDash = "--"u8.ToArray();

    private readonly Stream _stream;
    private readonly int _maxPart;
    private readonly int _maxHeader;
    private readonly Action<string> _corrupt;
    private readonly TimeSpan _readTimeout;
    private readonly CancellationTokenSource _stall;
    private byte[] _buffer;
    private byte[]? _delimiter;
    private int _start;
    private int _end;
    private bool _endOfStream;

    /// <param name="stream">The HTTP response body.</param>
    /// <param name="boundary">The boundary parameter of the Content-Type, or <see langword="null"/> to detect it.</param>
    /// <param name="maxPart">Largest body accepted.</param>
    /// <param name="maxHeader">Largest part header block accepted.</param>
    /// <param name="corrupt">Called with a reason for each part that is skipped.</param>
    /// <param name="readTimeout">A read that brings nothing for this long ends the stream (a stalled camera).</param>
    /// <param name="timeProvider">Clock for <paramref name="readTimeout"/>.</param>
    public MultipartStreamReader(Stream stream, string? boundary, int maxPart, int maxHeader, Action<string> corrupt, TimeSpan readTimeout, TimeProvider timeProvider)
    {
        _readTimeout = readTimeout;
        _stall = new CancellationTokenSource(Timeout.InfiniteTimeSpan, timeProvider);
        _stream = stream;
        _maxPart = maxPart;
        _maxHeader = maxHeader;
        _corrupt = corrupt;
        _buffer = ArrayPool<byte>.Shared.Rent(maxPart + maxHeader + (2 * ReadChunk));
        if (!string.IsNullOrEmpty(boundary))
        {
            // RFC 2046: the delimiter is "--" + boundary. Some cameras declare the boundary with its dashes
            // already on ("--myboundary") and send "--myboundary"; searching for the declared value matches
            // both that and the RFC form ("----myboundary").
            _delimiter = Encoding.ASCII.GetBytes(boundary.StartsWith("--", StringComparison.Ordinal) ? boundary : "--" + boundary);
        }
    }

    /// <summary>Bytes skipped since the start while looking for a boundary (garbage between parts).</summary>
    public long SkippedBytes { get; private set; }

    /// <summary>Whether the stream ended because a read stalled for longer than the read timeout.</summary>
    public bool Stalled { get; private set; }

    public void Dispose()
    {
        _stall.Dispose();
        var buffer = Interlocked.Exchange(ref _buffer, []);
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The next complete part body, or <see langword="null"/> when the stream has ended.</summary>
    public async ValueTask<ArraySegment<byte>?> ReadPartAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_delimiter is null && !await DetectDelimiterAsync(cancellationToken).ConfigureAwait(false))
            {
                return null;
            }

            // 1. Up to and past the delimiter, skipping anything before it.
            var at = await FindAsync(_delimiter!, discard: true, limit: int.MaxValue, cancellationToken).ConfigureAwait(false);
            if (at < 0)
            {
                return null;
            }

            _start = at + _delimiter!.Length;

            // 2. The rest of the delimiter line: "--" closes the multipart body.
            var lineEnd = await FindAsync(NewLine, discard: false, limit: _maxHeader, cancellationToken).ConfigureAwait(false);
            if (lineEnd == TooLong)
            {
                _corrupt($"a boundary line runs past {_maxHeader} bytes (MaxHeaderBytes)");
                continue;
            }

            if (lineEnd < 0)
            {
                return null;
            }

            if (_buffer.AsSpan(_start, lineEnd - _start).StartsWith(DashDash))
            {
                return null;
            }

            _start = lineEnd + 1;

            // 3. Part headers up to an empty line; only Content-Length matters, and only as an early refusal.
            var headerStart = _start;
            long? contentLength = null;
            var headerOk = true;
            while (true)
            {
                lineEnd = await FindAsync(NewLine, discard: false, limit: _maxHeader - (_start - headerStart), cancellationToken).ConfigureAwait(false);
                if (lineEnd < 0)
                {
                    if (lineEnd != TooLong)
                    {
                        return null;
                    }

                    headerOk = false;
                    _corrupt($"a part's headers exceed {_maxHeader} bytes without an empty line (MaxHeaderBytes)");
                    break;
                }

                var line = _buffer.AsSpan(_start, lineEnd - _start).TrimEnd((byte)'\r');
                _start = lineEnd + 1;
                if (line.IsEmpty)
                {
                    break;
                }

                if (TryParseContentLength(line, out var length))
                {
                    contentLength = length;
                }
            }

            if (!headerOk)
            {
                continue;
            }

            if (contentLength > _maxPart)
            {
                _corrupt($"a part declares Content-Length {contentLength}; at most {_maxPart} bytes are accepted (MaxPartBytes)");
                continue;
            }

            // 4. The body runs to the next delimiter. The search does not trust Content-Length, so a wrong or
            //    lying length cannot swallow the following parts.
            var next = await FindAsync(_delimiter, discard: false, limit: _maxPart + _delimiter.Length + 2, cancellationToken).ConfigureAwait(false);
            var bodyStart = _start; // the search may have moved the buffer's content to its front
            if (next == TooLong)
            {
                _corrupt($"a part runs past {_maxPart} bytes without a boundary (MaxPartBytes)");
                continue;
            }

            var bodyEnd = next;
            if (next < 0)
            {
                // The stream ended inside this part. With a Content-Length, it is complete only if all of it came;
                // without one, the decoder judges (a cut JPEG lacks its end-of-image marker).
                if (contentLength is { } cl && _end - bodyStart < cl)
                {
                    _corrupt($"the stream ended {_end - bodyStart} bytes into a part of {cl} bytes");
                    return null;
                }

                if (_end == bodyStart)
                {
                    return null;
                }

                bodyEnd = _end;
            }

            if (bodyEnd > bodyStart && _buffer[bodyEnd - 1] == '\n')
            {
                bodyEnd--;
                if (bodyEnd > bodyStart && _buffer[bodyEnd - 1] == '\r')
                {
                    bodyEnd--;
                }
            }

            if (contentLength is { } declared && declared < bodyEnd - bodyStart)
            {
                bodyEnd = bodyStart + (int)declared;
            }

            _start = next < 0 ? _end : next;
            return new ArraySegment<byte>(_buffer, bodyStart, bodyEnd - bodyStart);
        }
    }

    private const int EndOfStream = -1;
    private const int TooLong = -2;

    /// <summary>
    /// Index (in the buffer) of <paramref name="pattern"/> at or after <c>_start</c>, reading more as needed.
    /// With <paramref name="discard"/>, bytes scanned without a match are dropped; otherwise they are kept and
    /// <see cref="TooLong"/> is returned once more than <paramref name="limit"/> bytes were scanned.
    /// </summary>
    private async ValueTask<int> FindAsync(byte[] pattern, bool discard, int limit, CancellationToken cancellationToken)
    {
        var searched = 0;
        while (true)
        {
            var window = _buffer.AsSpan(_start + searched, _end - _start - searched);
            var i = window.IndexOf(pattern);
            if (i >= 0)
            {
                return _start + searched + i;
            }

            var scanned = _end - _start;
            var keep = Math.Min(scanned, pattern.Length - 1);
            if (discard)
            {
                SkippedBytes += scanned - keep;
                _start = _end - keep;
                searched = 0;
            }
            else
            {
                searched = scanned - keep;
                if (scanned > limit)
                {
                    // Drop what was scanned so the next search starts clean.
                    _start = _end - keep;
                    return TooLong;
                }
            }

            if (!await FillAsync(cancellationToken).ConfigureAwait(false))
            {
                return EndOfStream;
            }
        }
    }

    private async ValueTask<bool> DetectDelimiterAsync(CancellationToken cancellationToken)
    {
        // No boundary parameter: take the first line that starts with "--" as the delimiter.
        while (true)
        {
            var at = await FindAsync(DashDash, discard: true, limit: int.MaxValue, cancellationToken).ConfigureAwait(false);
            if (at < 0)
            {
                return false;
            }

            if (at == 0 || _buffer[at - 1] == '\n')
            {
                _start = at;
                var lineEnd = await FindAsync(NewLine, discard: false, limit: 256, cancellationToken).ConfigureAwait(false);
                if (lineEnd == EndOfStream)
                {
                    return false;
                }

                if (lineEnd >= 0)
                {
                    var line = _buffer.AsSpan(_start, lineEnd - _start).TrimEnd((byte)'\r').Trim((byte)' ');
                    if (line.Length > 2)
                    {
                        _delimiter = line.ToArray();
                        return true;
                    }
                }
            }

            _start = Math.Max(_start, at + 2);
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

        int read;
        using (cancellationToken.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), _stall))
        {
            _stall.CancelAfter(_readTimeout);
            try
            {
                read = await _stream.ReadAsync(_buffer.AsMemory(_end, Math.Min(ReadChunk, _buffer.Length - _end)), _stall.Token).ConfigureAwait(false);
                _stall.CancelAfter(Timeout.InfiniteTimeSpan);
            }
            catch (Exception ex) when (ex is IOException or HttpRequestException or ObjectDisposedException or OperationCanceledException)
            {
                cancellationToken.ThrowIfCancellationRequested();

                // A reset, half-closed or stalled connection: the same as the stream ending here.
                Stalled = _stall.IsCancellationRequested;
                read = 0;
            }
        }

        if (read == 0)
        {
            _endOfStream = true;
            return false;
        }

        _end += read;
        return true;
    }

    private static bool TryParseContentLength(ReadOnlySpan<byte> line, out long length)
    {
        length = 0;
        var colon = line.IndexOf((byte)':');
        if (colon < 0 || !Ascii.EqualsIgnoreCase(line[..colon].Trim((byte)' '), "Content-Length"u8))
        {
            return false;
        }

        return Utf8Parser.TryParse(line[(colon + 1)..].Trim((byte)' '), out length, out var consumed)
            && consumed == line[(colon + 1)..].Trim((byte)' ').Length
            && length >= 0;
    }
}

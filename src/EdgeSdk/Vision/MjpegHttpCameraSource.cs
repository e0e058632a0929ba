using System.Net;
using System.Numerics;
using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;

namespace EdgeAI.Vision;

/// <summary>
/// Frames from an IP camera's MJPEG stream: an HTTP response of type <c>multipart/x-mixed-replace</c> whose
/// parts are JPEG images. The stream is not trusted: parts that are truncated, undecodable, larger than
/// <see cref="MjpegCameraOptions.MaxPartBytes"/> (declared or actual), or whose headers are malformed are
/// counted as corrupt and skipped; a missing boundary parameter is recovered from the stream; a broken or
/// stalled connection is reopened after <see cref="MjpegCameraOptions.ReconnectDelay"/>.
/// </summary>
/// <remarks>
/// Memory is bounded by one buffer of about <c>MaxPartBytes + MaxHeaderBytes</c>, rented per connection.
/// Frame ids are <c>url#sequence</c>; sequence numbers count every part seen, so corrupt parts leave gaps.
/// </remarks>
public sealed class MjpegHttpCameraSource : CameraSource
{
    private readonly Uri _uri;
    private readonly MjpegCameraOptions _options;
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly TimeProvider _timeProvider;
    private readonly ImageDecoder _decoder;
    private HttpResponseMessage? _response;
    private MultipartStreamReader? _reader;
    private int _attempts;
    private bool _ended;
    private long _sequence;

    /// <summary>Creates the source; the connection is opened by the first read.</summary>
    /// <param name="uri">The stream's address (http or https).</param>
    /// <param name="options">Limits and reconnect policy; defaults when <see langword="null"/>.</param>
    /// <param name="httpClient">Client to use (not disposed by the source); when <see langword="null"/> the source
    /// creates one that bypasses proxies, since cameras sit on the local network.</param>
    /// <param name="timeProvider">Clock for reconnect delays, read timeouts and frame timestamps.</param>
    /// <param name="decoder">Decoder with its size limits; a default one when <see langword="null"/>.</param>
    /// <param name="logger">Where skipped frames and reconnects are reported.</param>
    /// <exception cref="ArgumentException">The address is not http(s), or an option is out of range.</exception>
    public MjpegHttpCameraSource(
        Uri uri,
        MjpegCameraOptions? options = null,
        HttpClient? httpClient = null,
        TimeProvider? timeProvider = null,
        ImageDecoder? decoder = null,
        ILogger? logger = null)
        : base(uri?.ToString() ?? "mjpeg", logger)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (!uri.IsAbsoluteUri || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"MJPEG camera address '{uri}' is not an absolute http or https URL.", nameof(uri));
        }

        _uri = uri;
        _options = options ?? new MjpegCameraOptions();
        _options.Validate();
        _timeProvider = timeProvider ?? TimeProvider.System;
        _decoder = decoder ?? new ImageDecoder();
        _ownsHttp = httpClient is null;
        _http = httpClient ?? new HttpClient(new SocketsHttpHandler { UseProxy = false, ConnectTimeout = TimeSpan.FromSeconds(10) })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    /// <summary>Connections opened so far (the first one included).</summary>
    public int Connections { get; private set; }

    /// <summary>Connection attempts that failed since the last one that succeeded (0 while connected).</summary>
    public int FailedConnects { get; private set; }

    /// <inheritdoc />
    /// <exception cref="HttpRequestException">With no reconnect: the camera refused the connection or answered with an error or a non-multipart type.</exception>
    protected override async ValueTask<Frame?> ReadFrameCoreAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_reader is null)
            {
                if (_ended)
                {
                    return null;
                }

                if (_attempts > 0)
                {
                    if (_options.ReconnectDelay is not { } delay)
                    {
                        _ended = true;
                        return null;
                    }

                    await Task.Delay(delay, _timeProvider, cancellationToken).ConfigureAwait(false);
                }

                _attempts++;
                try
                {
                    await ConnectAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException
                    && _options.ReconnectDelay is { } delay && !cancellationToken.IsCancellationRequested)
                {
                    // Refused, reset, or the connect timeout (an OperationCanceledException not caused by our token).
                    // A camera that is away stays away for a while: log the reason (no stack) at the 1st, 2nd, 4th...
                    // failure rather than every few seconds.
                    FailedConnects++;
                    if (BitOperations.IsPow2(FailedConnects))
                    {
                        VisionLog.ConnectFailed(Logger, Name, FailedConnects, delay, ex is OperationCanceledException ? "connect timed out" : ex.Message);
                    }

                    continue;
                }

                if (FailedConnects > 0)
                {
                    VisionLog.Reconnected(Logger, Name, FailedConnects);
                    FailedConnects = 0;
                }
            }

            var part = await _reader!.ReadPartAsync(cancellationToken).ConfigureAwait(false);
            if (part is not { } body)
            {
                if (_options.ReconnectDelay is { } delay)
                {
                    VisionLog.ConnectionLost(Logger, Name, delay);
                }

                CloseConnection();
                continue;
            }

            var sequence = _sequence++;
            try
            {
                return _decoder.Decode(body, _options.Format, $"{Name}#{sequence}", sequence, _timeProvider.GetUtcNow());
            }
            catch (ImageFormatException ex)
            {
                CountCorrupt(ex.Message);
            }
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            CloseConnection();
            if (_ownsHttp)
            {
                _http.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    private async Task ConnectAsync(CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, _uri);
        var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        try
        {
            if (!response.IsSuccessStatusCode)
            {
                throw new HttpRequestException($"MJPEG camera '{_uri}' answered {(int)response.StatusCode} {response.ReasonPhrase}; expected 200 with a multipart/x-mixed-replace stream.", null, response.StatusCode);
            }

            var type = response.Content.Headers.ContentType;
            if (type?.MediaType is not { } media || !media.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase))
            {
                throw new HttpRequestException($"MJPEG camera '{_uri}' sent Content-Type '{type}'; expected multipart/x-mixed-replace.", null, HttpStatusCode.UnsupportedMediaType);
            }

            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            _reader = new MultipartStreamReader(stream, Boundary(type), _options.MaxPartBytes, _options.MaxHeaderBytes, CountCorrupt, _options.ReadTimeout, _timeProvider);
            _response = response;
            Connections++;
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    private static string? Boundary(MediaTypeHeaderValue type)
    {
        foreach (var p in type.Parameters)
        {
            if (string.Equals(p.Name, "boundary", StringComparison.OrdinalIgnoreCase) && !string.IsNullOrWhiteSpace(p.Value))
            {
                return p.Value.Trim('"');
            }
        }

        return null;
    }

    private void CloseConnection()
    {
        _reader?.Dispose();
        _reader = null;
        _response?.Dispose();
        _response = null;
    }
}

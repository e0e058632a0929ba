using System.Net;
using System.Net.Sockets;
using System.Text;

namespace EdgeAI.TestSupport;

/// <summary>
/// A raw HTTP server on 127.0.0.1 and a free port that plays a script per connection, byte for byte, so
/// tests can send exactly the malformed streams a broken camera sends.
/// </summary>
public sealed class MjpegTestServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<int, Stream, CancellationToken, Task> _script;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public MjpegTestServer(Func<int, Stream, CancellationToken, Task> script)
    {
        _script = script;
        _listener.Start();
        _loop = Task.Run(AcceptLoopAsync);
    }

    public Uri Uri => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/stream.mjpg");

    public int Connections { get; private set; }

    public static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    public static byte[] Header(string contentType = "multipart/x-mixed-replace; boundary=frame") =>
        Ascii($"HTTP/1.1 200 OK\r\nContent-Type: {contentType}\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n");

    public static byte[] Part(byte[] body, string boundary = "frame", long? contentLength = -1, int? send = null)
    {
        var length = contentLength == -1 ? body.Length : contentLength;
        var head = Ascii($"--{boundary}\r\nContent-Type: image/jpeg\r\n{(length is null ? "" : $"Content-Length: {length}\r\n")}\r\n");
        return [.. head, .. body.AsSpan(0, send ?? body.Length), .. "\r\n"u8];
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
            // stopped
        }

        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            var index = Connections++;
            using (client)
            {
                var stream = client.GetStream();
                try
                {
                    await SkipRequestAsync(stream, _stop.Token);
                    await _script(index, stream, _stop.Token);
                    await stream.FlushAsync(_stop.Token);
                }
                catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException)
                {
                    // The client went away: fine for a camera.
                }
            }
        }
    }

    private static async Task SkipRequestAsync(Stream stream, CancellationToken cancellationToken)
    {
        var window = new byte[4];
        var one = new byte[1];
        while (!(window[0] == '\r' && window[1] == '\n' && window[2] == '\r' && window[3] == '\n'))
        {
            if (await stream.ReadAsync(one, cancellationToken) == 0)
            {
                return;
            }

            window.AsSpan(1).CopyTo(window);
            window[3] = one[0];
        }
    }
}

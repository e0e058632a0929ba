using System.Net.Sockets;
using System.Text;

namespace EdgeAI.TestSupport;

/// <summary>
/// A raw HTTP server on 127.0.0.1 and a free port that plays a script per connection, byte for byte, so
/// tests can send exactly the malformed streams a broken camera sends.
/// </summary>
public sealed class MjpegTestServer : LoopbackServer
{
    private readonly Func<int, Stream, CancellationToken, Task> _script;

    public MjpegTestServer(Func<int, Stream, CancellationToken, Task> script)
    {
        _script = script;
        Start();
    }

    public Uri Uri => new($"http://127.0.0.1:{Port}/stream.mjpg");

    public static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    public static byte[] Header(string contentType = "multipart/x-mixed-replace; boundary=frame") =>
        Ascii($"HTTP/1.1 200 OK\r\nContent-Type: {contentType}\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n");

    public static byte[] Part(byte[] body, string boundary = "frame", long? contentLength = -1, int? send = null)
    {
        var length = contentLength == -1 ? body.Length : contentLength;
        var head = Ascii($"--{boundary}\r\nContent-Type: image/jpeg\r\n{(length is null ? "" : $"Content-Length: {length}\r\n")}\r\n");
        return [.. head, .. body.AsSpan(0, send ?? body.Length), .. "\r\n"u8];
    }

    /// <summary>Connections are served one at a time, in order: the script of connection N sees index N.</summary>
    protected override async Task OnAcceptedAsync(TcpClient client, int index, CancellationToken cancellationToken)
    {
        using (client)
        {
            var stream = client.GetStream();
            try
            {
                await SkipRequestAsync(stream, cancellationToken);
                await _script(index, stream, cancellationToken);
                await stream.FlushAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException)
            {
                // The client went away: fine for a camera.
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

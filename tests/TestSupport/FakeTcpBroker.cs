using System.Net.Sockets;

namespace EdgeAI.TestSupport;

/// <summary>
/// A TCP server on 127.0.0.1 that plays a scripted (often hostile) broker: each accepted connection is handed
/// to <c>handler</c>. Connections and the listener close on dispose.
/// </summary>
public sealed class FakeTcpBroker : LoopbackServer
{
    private readonly Func<NetworkStream, CancellationToken, Task> _handler;

    public FakeTcpBroker(Func<NetworkStream, CancellationToken, Task> handler)
    {
        _handler = handler;
        Start();
    }

    /// <summary>Reads one MQTT control packet (fixed header, remaining length, body) and returns all its bytes.</summary>
    public static async Task<byte[]> ReadPacketAsync(Stream stream, CancellationToken cancellationToken)
    {
        var header = new List<byte>();
        var first = new byte[1];
        await stream.ReadExactlyAsync(first, cancellationToken);
        header.Add(first[0]);
        var length = 0;
        for (var shift = 0; shift < 28; shift += 7)
        {
            await stream.ReadExactlyAsync(first, cancellationToken);
            header.Add(first[0]);
            length |= (first[0] & 0x7F) << shift;
            if ((first[0] & 0x80) == 0)
            {
                break;
            }
        }

        var body = new byte[length];
        await stream.ReadExactlyAsync(body, cancellationToken);
        return [.. header, .. body];
    }

    /// <summary>The protocol level byte of a CONNECT packet (4 = 3.1.1, 5 = 5.0).</summary>
    public static int ProtocolLevel(byte[] connect)
    {
        // Skip the fixed header: one type byte and 1..4 remaining-length bytes.
        var i = 1;
        while ((connect[i] & 0x80) != 0)
        {
            i++;
        }

        i++;
        var nameLength = (connect[i] << 8) | connect[i + 1];
        return connect[i + 2 + nameLength];
    }

    /// <summary>Connections are served side by side, each on its own task.</summary>
    protected override Task OnAcceptedAsync(TcpClient client, int index, CancellationToken cancellationToken)
    {
        _ = Task.Run(async () =>
        {
            using (client)
            {
                try
                {
                    await _handler(client.GetStream(), cancellationToken);
                }
                catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
                {
                    // The client hung up: expected for a hostile script.
                }
            }
        }, CancellationToken.None);
        return Task.CompletedTask;
    }
}

using System.Net;
using System.Net.Sockets;

namespace EdgeAI.TestSupport;

/// <summary>
/// A TCP relay on 127.0.0.1 in front of a real server: lets a test cut the network between a client
/// and the server (open connections are reset, new ones closed at once) and restore it, while the
/// server and its other clients carry on.
/// </summary>
public sealed class TcpRelay : LoopbackServer
{
    private readonly int _targetPort;
    private readonly List<TcpClient> _open = [];
    private volatile bool _cut;

    public TcpRelay(int targetPort)
    {
        _targetPort = targetPort;
        Start();
    }

    /// <summary>Resets every open connection and refuses new ones until <see cref="Resume"/>.</summary>
    public void Cut()
    {
        _cut = true;
        lock (_open)
        {
            foreach (var c in _open)
            {
                try
                {
                    // Linger 0: a reset, like a pulled cable seen by the next packet, not a polite FIN.
                    c.Client?.LingerState = new LingerOption(true, 0);
                }
                catch (ObjectDisposedException)
                {
                }

                c.Dispose();
            }

            _open.Clear();
        }
    }

    public void Resume() => _cut = false;

    /// <summary>Resets the open connections when the relay is disposed.</summary>
    protected override void OnStopped() => Cut();

    /// <summary>Connects the accepted client to the server and starts a pump each way.</summary>
    protected override async Task OnAcceptedAsync(TcpClient inbound, int index, CancellationToken cancellationToken)
    {
        if (_cut)
        {
            inbound.Dispose();
            return;
        }

        var outbound = new TcpClient();
        try
        {
            await outbound.ConnectAsync(IPAddress.Loopback, _targetPort, cancellationToken);
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException)
        {
            inbound.Dispose();
            outbound.Dispose();
            return;
        }

        lock (_open)
        {
            _open.Add(inbound);
            _open.Add(outbound);
        }

        _ = PumpAsync(inbound, outbound);
        _ = PumpAsync(outbound, inbound);
    }

    private async Task PumpAsync(TcpClient from, TcpClient to)
    {
        try
        {
            await from.GetStream().CopyToAsync(to.GetStream(), Stopping);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException or SocketException)
        {
            // Cut, reset or shut down: the other direction notices through the disposed socket.
        }
        finally
        {
            from.Dispose();
            to.Dispose();
        }
    }
}

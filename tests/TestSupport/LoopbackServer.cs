using System.Net;
using System.Net.Sockets;

namespace EdgeAI.TestSupport;

/// <summary>
/// A TCP server on 127.0.0.1 and a free port: one accept loop hands every connection to
/// <see cref="OnAcceptedAsync"/>, and dispose stops the listener, cancels <see cref="Stopping"/> and waits for the
/// loop. The scripted test servers (MJPEG camera, hostile broker, network relay) differ only in what they do with
/// a connection.
/// </summary>
public abstract class LoopbackServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private Task _acceptLoop = Task.CompletedTask;
    private int _connections;

    protected LoopbackServer()
    {
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
    }

    public int Port { get; }

    /// <summary>How many connections were accepted so far.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Cancelled when the server is disposed.</summary>
    protected CancellationToken Stopping => _stop.Token;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        OnStopped();
        try
        {
            await _acceptLoop;
        }
        catch (OperationCanceledException)
        {
            // stopped
        }

        _stop.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Starts accepting; a derived constructor calls it last, once its own fields are set.</summary>
    protected void Start() => _acceptLoop = Task.Run(AcceptLoopAsync);

    /// <summary>
    /// Handles one accepted connection (<paramref name="index"/> counts from 0). The loop awaits it before it
    /// accepts the next one: a server that serves connections side by side starts its own task and returns.
    /// </summary>
    protected abstract Task OnAcceptedAsync(TcpClient client, int index, CancellationToken cancellationToken);

    /// <summary>Called on dispose after the listener stopped, before the accept loop is awaited.</summary>
    protected virtual void OnStopped()
    {
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

            var index = Interlocked.Increment(ref _connections) - 1;
            await OnAcceptedAsync(client, index, _stop.Token);
        }
    }
}

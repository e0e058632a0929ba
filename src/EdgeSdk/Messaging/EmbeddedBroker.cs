using System.Net;
using System.Net.Sockets;
using MQTTnet.Server;

namespace EdgeAI.Messaging;

/// <summary>
/// A small MQTT 3.1.1/5 broker (MQTTnet.Server) inside the process, listening on 127.0.0.1 only, so the demo
/// publishes somewhere without anything installed. Not for production: no TLS, no authentication, no persistence.
/// </summary>
/// <remarks>Start and stop once. Thread-safe.</remarks>
public sealed class EmbeddedBroker : IAsyncDisposable
{
    private readonly MqttServer _server;
    private int _state; // 0 created, 1 started, 2 stopped

    private EmbeddedBroker(MqttServer server, int port)
    {
        _server = server;
        Port = port;
    }

    /// <summary>The TCP port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>Whether the broker is accepting connections.</summary>
    public bool IsRunning => _server.IsStarted;

    /// <summary>Starts a broker on 127.0.0.1.</summary>
    /// <param name="port">Port to listen on, or 0 for a free port chosen by the system.</param>
    /// <param name="cancellationToken">Cancels before the broker starts.</param>
    /// <returns>The running broker; read <see cref="Port"/> for the port.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="port"/> is not 0..65535.</exception>
    /// <exception cref="SocketException">The port is in use.</exception>
    public static async Task<EmbeddedBroker> StartAsync(int port = 0, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        cancellationToken.ThrowIfCancellationRequested();
        if (port == 0)
        {
            port = FreeLoopbackPort();
        }

        var options = new MqttServerOptionsBuilder()
            .WithDefaultEndpoint()
            .WithDefaultEndpointBoundIPAddress(IPAddress.Loopback)
            .WithDefaultEndpointBoundIPV6Address(IPAddress.None)
            .WithDefaultEndpointPort(port)
            .Build();
        var server = new MqttServerFactory().CreateMqttServer(options);
        var broker = new EmbeddedBroker(server, port);
        try
        {
            await server.StartAsync().ConfigureAwait(false);
        }
        catch
        {
            server.Dispose();
            throw;
        }

        broker._state = 1;
        return broker;
    }

    /// <summary>Stops accepting connections and disconnects every client.</summary>
    /// <returns>A task that completes when stopped.</returns>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _state, 2) == 1)
        {
            await _server.StopAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Stops and releases the broker.</summary>
    /// <returns>A task that completes when disposed.</returns>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _server.Dispose();
    }

    internal static int FreeLoopbackPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }
}

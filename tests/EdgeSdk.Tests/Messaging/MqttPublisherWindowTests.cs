using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text.Json;
using EdgeAI.Messaging;
using EdgeAI.TestSupport;
using static EdgeAI.Sdk.Tests.Messaging.MessagingTestHelpers;

namespace EdgeAI.Sdk.Tests.Messaging;

/// <summary>The in-flight window and the protocol fallback, through a front the test controls before a real mosquitto.</summary>
public sealed class MqttPublisherWindowTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(16)]
    public async Task With_pubacks_held_back_exactly_max_in_flight_results_reach_the_broker_then_all_arrive_in_order(int window)
    {
        using var mosquitto = new MosquittoFixture();
        var gate = new ReplyGate();
        await using var front = new FakeTcpBroker(async (client, ct) =>
        {
            using var upstream = new TcpClient();
            await upstream.ConnectAsync(mosquitto.Host, mosquitto.Port, ct);
            var server = upstream.GetStream();
            await Task.WhenAny(client.CopyToAsync(server, ct), gate.CopyAsync(server, client, ct));
        });
        await using var subscriber = await MqttTestSubscriber.ConnectAsync(mosquitto.Host, mosquitto.Port, "edgeai/+/+/+/+");
        var options = Options("127.0.0.1", front.Port, mosquitto.Files.File("outbox.db"));
        options.MaxInFlight = window;
        options.KeepAlive = TimeSpan.FromSeconds(60);
        await using var publisher = new MqttPublisher(options);
        await publisher.StartAsync();
        await Eventually(() => publisher.IsConnected, Wait, () => $"connection: {publisher.Statistics}");

        // From now on the broker's answers (PUBACKs) wait in the front; what the publisher sends still flows.
        gate.Hold();
        using var payload = JsonDocument.Parse("""{"v":1}""");
        for (var i = 0; i < 40; i++)
        {
            Assert.True(publisher.TryPublish("a", "k", payload.RootElement));
        }

        await subscriber.WaitUntilAsync(_ => Envelopes(subscriber).Count >= window, Wait, $"{window} results in flight");
        await Task.Delay(500); // room for any result beyond the window to (wrongly) show up
        Assert.Equal(window, Envelopes(subscriber).Count);
        Assert.Equal(0, publisher.Statistics.Published);
        Assert.Equal(40, publisher.Statistics.OutboxPending);

        gate.Release();
        using var cts = new CancellationTokenSource(Wait);
        await publisher.WaitUntilDeliveredAsync(cts.Token);
        await subscriber.WaitUntilAsync(_ => Envelopes(subscriber).Count >= 40, Wait, "all 40 results");
        Assert.Equal(Enumerable.Range(1, 40).Select(i => (long)i), Envelopes(subscriber).Select(e => e.Seq));
        Assert.Equal(40, publisher.Statistics.Published);
    }

    [Fact]
    public async Task After_a_fallback_to_311_the_next_connection_tries_mqtt_5_again()
    {
        using var mosquitto = new MosquittoFixture();
        var acceptV5 = false;
        var levels = new ConcurrentQueue<int>();
        var drop = new CancellationTokenSource();
        await using var front = new FakeTcpBroker(async (client, ct) =>
        {
            // Like a broker upgraded from 3.1.1-only to 5.0 while the device is connected.
            var connect = await FakeTcpBroker.ReadPacketAsync(client, ct);
            var level = FakeTcpBroker.ProtocolLevel(connect);
            levels.Enqueue(level);
            if (level == 5 && !Volatile.Read(ref acceptV5))
            {
                await client.WriteAsync(new byte[] { 0x20, 0x02, 0x00, 0x01 }, ct); // unacceptable protocol version
                return;
            }

            using var link = CancellationTokenSource.CreateLinkedTokenSource(ct, Volatile.Read(ref drop).Token);
            using var upstream = new TcpClient();
            await upstream.ConnectAsync(mosquitto.Host, mosquitto.Port, link.Token);
            var server = upstream.GetStream();
            await server.WriteAsync(connect, link.Token);
            await Task.WhenAny(client.CopyToAsync(server, link.Token), server.CopyToAsync(client, link.Token), Task.Delay(Timeout.Infinite, link.Token));
        });
        await using var subscriber = await MqttTestSubscriber.ConnectAsync(mosquitto.Host, mosquitto.Port, "edgeai/+/+/+/+");
        await using var publisher = new MqttPublisher(Options("127.0.0.1", front.Port, mosquitto.Files.File("outbox.db")));
        await publisher.StartAsync();
        using var payload = JsonDocument.Parse("""{"v":1}""");
        Assert.True(publisher.TryPublish("a", "k", payload.RootElement));
        await Eventually(() => publisher.Statistics.Published == 1, Wait, () => $"delivery via 3.1.1: {publisher.Statistics}");
        Assert.Equal(MqttProtocol.V311, publisher.Statistics.NegotiatedProtocol);

        // The broker now speaks 5.0; the connection drops (later connections are left alone).
        Volatile.Write(ref acceptV5, true);
        var dropped = Interlocked.Exchange(ref drop, new CancellationTokenSource());
        await dropped.CancelAsync();
        dropped.Dispose();
        await Eventually(() => publisher.Statistics.Connections >= 2, Wait, () => $"a second connection: {publisher.Statistics}, levels {string.Join(",", levels)}");
        Assert.True(publisher.TryPublish("a", "k", payload.RootElement));
        await Eventually(() => publisher.Statistics.Published == 2, Wait, () => $"delivery via 5.0: {publisher.Statistics}");

        Assert.Equal(MqttProtocol.V500, publisher.Statistics.NegotiatedProtocol);
        Assert.Equal([5, 4, 5], levels.Take(3));
        await subscriber.WaitUntilAsync(_ => Envelopes(subscriber).Count == 2, Wait, "both results");
        drop.Dispose();
    }

    /// <summary>Forwards the broker's bytes to the client unless held; held bytes go out, in order, on release.</summary>
    private sealed class ReplyGate
    {
        private TaskCompletionSource _open = Opened();

        public void Hold() => Volatile.Write(ref _open, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

        public void Release() => Volatile.Read(ref _open).TrySetResult();

        public async Task CopyAsync(Stream from, Stream to, CancellationToken ct)
        {
            var buffer = new byte[4096];
            int read;
            while ((read = await from.ReadAsync(buffer, ct)) > 0)
            {
                await Volatile.Read(ref _open).Task.WaitAsync(ct);
                await to.WriteAsync(buffer.AsMemory(0, read), ct);
            }
        }

        private static TaskCompletionSource Opened()
        {
            var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            open.SetResult();
            return open;
        }
    }
}

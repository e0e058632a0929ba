using System.Net.Sockets;
using System.Text.Json;
using EdgeAI.Messaging;
using EdgeAI.TestSupport;
using static EdgeAI.Sdk.Tests.Messaging.MessagingTestHelpers;

namespace EdgeAI.Sdk.Tests.Messaging;

public sealed class MqttPublisherRobustnessTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    public static TheoryData<string> Scripts => new()
    {
        "random-bytes",
        "huge-remaining-length",
        "connack-then-garbage",
        "silence-then-close",
    };

    [Theory]
    [MemberData(nameof(Scripts))]
    public async Task A_hostile_broker_never_crashes_the_publisher_and_results_stay_in_the_outbox(string script)
    {
        var random = new Random(script.Length);
        await using var hostile = new FakeTcpBroker(async (stream, ct) =>
        {
            var connect = await FakeTcpBroker.ReadPacketAsync(stream, ct);
            switch (script)
            {
                case "random-bytes":
                    var junk = new byte[4096];
                    random.NextBytes(junk);
                    await stream.WriteAsync(junk, ct);
                    break;
                case "huge-remaining-length":
                    // A CONNACK announcing 256 MiB of body, then nothing.
                    await stream.WriteAsync(new byte[] { 0x20, 0xFF, 0xFF, 0xFF, 0x7F, 0x00 }, ct);
                    break;
                case "connack-then-garbage":
                    await stream.WriteAsync(FakeTcpBroker.ProtocolLevel(connect) == 5 ? new byte[] { 0x20, 0x03, 0x00, 0x00, 0x00 } : [0x20, 0x02, 0x00, 0x00], ct);
                    await Task.Delay(50, ct);
                    await stream.WriteAsync(new byte[] { 0xF0, 0x05, 0xDE, 0xAD, 0xBE, 0xEF, 0x00, 0x30, 0x7F }, ct);
                    break;
                default:
                    await Task.Delay(100, ct);
                    break;
            }

            await Task.Delay(100, ct);
        });
        using var dir = new TempDirectory();
        var options = Options("127.0.0.1", hostile.Port, dir.File("outbox.db"));
        options.OperationTimeout = TimeSpan.FromMilliseconds(500);
        var publisher = new MqttPublisher(options);
        await publisher.StartAsync();
        using var payload = JsonDocument.Parse("""{"v":1}""");
        for (var i = 0; i < 20; i++)
        {
            Assert.True(publisher.TryPublish("a", "k", payload.RootElement));
        }

        await Eventually(() => hostile.Connections >= 3 && publisher.Statistics.Stored == 20, Wait, () => $"repeated attempts: {publisher.Statistics}");

        var stats = publisher.Statistics;
        Assert.Equal(0, stats.Published);
        Assert.Equal(20, stats.OutboxPending);
        Assert.False(string.IsNullOrEmpty(stats.LastError));
        using var stopIn = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await publisher.StopAsync(stopIn.Token);
        await publisher.DisposeAsync();

        using var outbox = SqliteOutbox.Open(options.OutboxPath, options.Device, 100);
        Assert.Equal(20, outbox.Count);
    }

    [Fact]
    public async Task Auto_falls_back_to_mqtt_311_when_the_broker_refuses_version_5()
    {
        using var mosquitto = new MosquittoFixture();

        // A front that behaves like a 3.1.1-only broker: a 5.0 CONNECT gets "unacceptable protocol version";
        // a 3.1.1 CONNECT is relayed to the real broker.
        var levels = new System.Collections.Concurrent.ConcurrentQueue<int>();
        await using var front = new FakeTcpBroker(async (client, ct) =>
        {
            var connect = await FakeTcpBroker.ReadPacketAsync(client, ct);
            var level = FakeTcpBroker.ProtocolLevel(connect);
            levels.Enqueue(level);
            if (level != 4)
            {
                await client.WriteAsync(new byte[] { 0x20, 0x02, 0x00, 0x01 }, ct);
                return;
            }

            using var upstream = new TcpClient();
            await upstream.ConnectAsync(mosquitto.Host, mosquitto.Port, ct);
            var server = upstream.GetStream();
            await server.WriteAsync(connect, ct);
            await Task.WhenAny(client.CopyToAsync(server, ct), server.CopyToAsync(client, ct));
        });
        await using var subscriber = await MqttTestSubscriber.ConnectAsync(mosquitto.Host, mosquitto.Port, "edgeai/+/+/+/+");
        await using var publisher = new MqttPublisher(Options("127.0.0.1", front.Port, mosquitto.Files.File("outbox.db")));
        await publisher.StartAsync();
        using var payload = JsonDocument.Parse("""{"v":311}""");
        Assert.True(publisher.TryPublish("a", "k", payload.RootElement));

        await Eventually(() => publisher.Statistics.Published == 1, Wait, () => $"delivery via 3.1.1: {publisher.Statistics}, levels {string.Join(",", levels)}");
        await subscriber.WaitUntilAsync(_ => Envelopes(subscriber).Count == 1, Wait, "the envelope via 3.1.1");

        Assert.Equal(MqttProtocol.V311, publisher.Statistics.NegotiatedProtocol);
        Assert.Equal([5, 4], levels.Take(2));
        Assert.Equal(311, Envelopes(subscriber)[0].Payload.GetProperty("v").GetInt32());
    }

    [Fact]
    public async Task The_embedded_broker_carries_results_to_a_subscriber()
    {
        await using var broker = await EmbeddedBroker.StartAsync();
        using var dir = new TempDirectory();
        await using var subscriber = await MqttTestSubscriber.ConnectAsync("127.0.0.1", broker.Port, "edgeai/#");
        await using var publisher = new MqttPublisher(Options("127.0.0.1", broker.Port, dir.File("outbox.db")));
        await publisher.StartAsync();
        using var payload = JsonDocument.Parse("""{"rul_hours":123.5}""");
        Assert.True(publisher.TryPublish("maintenance", "rul", payload.RootElement));

        using var cts = new CancellationTokenSource(Wait);
        await publisher.WaitUntilDeliveredAsync(cts.Token);
        await subscriber.WaitUntilAsync(_ => Envelopes(subscriber).Count == 1, Wait, "the envelope");

        Assert.True(broker.IsRunning);
        Assert.Equal(123.5, Envelopes(subscriber)[0].Payload.GetProperty("rul_hours").GetDouble());
        await broker.StopAsync();
        Assert.False(broker.IsRunning);
        await Eventually(() => !publisher.IsConnected, Wait, () => "the publisher to see the broker go");
    }

    [Fact]
    public async Task A_dropped_connection_makes_the_broker_publish_the_offline_last_will()
    {
        using var mosquitto = new MosquittoFixture();
        var relay = new FakeTcpBroker(async (client, ct) =>
        {
            using var upstream = new TcpClient();
            await upstream.ConnectAsync(mosquitto.Host, mosquitto.Port, ct);
            var server = upstream.GetStream();
            await Task.WhenAny(client.CopyToAsync(server, ct), server.CopyToAsync(client, ct));
        });
        await using var subscriber = await MqttTestSubscriber.ConnectAsync(mosquitto.Host, mosquitto.Port, "edgeai/plant-7/cam-03/status");
        var options = Options("127.0.0.1", relay.Port, mosquitto.Files.File("outbox.db"));
        options.BackoffMin = TimeSpan.FromSeconds(30);
        options.BackoffMax = TimeSpan.FromSeconds(30);
        await using var publisher = new MqttPublisher(options);
        await publisher.StartAsync();
        await subscriber.WaitUntilAsync(m => m.Any(x => Text(x.Payload) == "online"), Wait, "the online birth");

        // Cut the network between device and broker: no DISCONNECT packet, so the broker sends the will.
        await relay.DisposeAsync();

        await subscriber.WaitUntilAsync(m => m.Any(x => Text(x.Payload) == "offline"), Wait, "the offline last will");
        Assert.Equal(["online", "offline"], subscriber.Messages.Select(m => Text(m.Payload)));
        await Eventually(() => !publisher.IsConnected, Wait, () => "the publisher to notice");
    }

    [Fact]
    public async Task Keep_alive_detects_a_silent_network_and_delivery_resumes_when_it_returns()
    {
        using var mosquitto = new MosquittoFixture();

        // A relay that can turn into a black hole: bytes are read and dropped, no connection is closed, as when
        // a cable is pulled or a NAT entry expires. Only keep-alive can notice that.
        var blackHole = 0;
        async Task Pump(Stream from, Stream to, CancellationToken ct)
        {
            var buffer = new byte[16 * 1024];
            int read;
            while ((read = await from.ReadAsync(buffer, ct)) > 0)
            {
                if (Volatile.Read(ref blackHole) == 0)
                {
                    await to.WriteAsync(buffer.AsMemory(0, read), ct);
                }
            }
        }

        await using var relay = new FakeTcpBroker(async (client, ct) =>
        {
            using var upstream = new TcpClient();
            await upstream.ConnectAsync(mosquitto.Host, mosquitto.Port, ct);
            var server = upstream.GetStream();
            await Task.WhenAny(Pump(client, server, ct), Pump(server, client, ct));
        });
        await using var subscriber = await MqttTestSubscriber.ConnectAsync(mosquitto.Host, mosquitto.Port, "edgeai/+/+/+/+");
        var options = Options("127.0.0.1", relay.Port, mosquitto.Files.File("outbox.db"));
        options.KeepAlive = TimeSpan.FromSeconds(1);
        options.OperationTimeout = TimeSpan.FromSeconds(1);
        await using var publisher = new MqttPublisher(options);
        await publisher.StartAsync();
        await Eventually(() => publisher.IsConnected, Wait, () => "connection");

        Interlocked.Exchange(ref blackHole, 1);
        using var payload = JsonDocument.Parse("""{"during":"outage"}""");
        for (var i = 0; i < 5; i++)
        {
            Assert.True(publisher.TryPublish("a", "k", payload.RootElement));
        }

        var watch = System.Diagnostics.Stopwatch.StartNew();
        await Eventually(() => !publisher.IsConnected, TimeSpan.FromSeconds(15), () => $"keep-alive to notice: {publisher.Statistics}");
        var detection = watch.Elapsed;
        Assert.Empty(Envelopes(subscriber));

        Interlocked.Exchange(ref blackHole, 0);
        await Eventually(() => publisher.Statistics.Published == 5, Wait, () => $"delivery after the outage: {publisher.Statistics}");
        await subscriber.WaitUntilAsync(_ => Envelopes(subscriber).Select(e => e.Seq).Distinct().Count() == 5, Wait, "the 5 results after the outage");

        Assert.Equal([1L, 2, 3, 4, 5], Envelopes(subscriber).Select(e => e.Seq).Distinct().Order());
        Assert.True(detection < TimeSpan.FromSeconds(10), $"detection took {detection}");
    }
}

using System.Diagnostics;
using System.Text.Json;
using EdgeAI.Messaging;
using EdgeAI.TestSupport;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;
using static EdgeAI.Sdk.Tests.Messaging.MessagingTestHelpers;

namespace EdgeAI.Sdk.Tests.Messaging;

public sealed class MqttPublisherTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Results_arrive_as_json_envelopes_with_consecutive_sequence_numbers_and_an_online_status()
    {
        using var broker = new MosquittoFixture();
        await using var subscriber = await MqttTestSubscriber.ConnectAsync(broker.Host, broker.Port, "edgeai/#");
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero));
        await using var publisher = new MqttPublisher(Options(broker.Host, broker.Port, broker.Files.File("outbox.db")), time);
        await publisher.StartAsync();

        for (var i = 0; i < 5; i++)
        {
            Assert.True(publisher.TryPublish("inspection", "defect", new InspectionResult("scratch", 0.5 + (i / 10.0), i), OutboxTestJson.Default.InspectionResult));
        }

        using var cts = new CancellationTokenSource(Wait);
        await publisher.WaitUntilDeliveredAsync(cts.Token);
        await subscriber.WaitUntilAsync(m => Envelopes(subscriber).Count == 5, Wait, "5 envelopes");

        var envelopes = Envelopes(subscriber);
        Assert.Equal([1L, 2, 3, 4, 5], envelopes.Select(e => e.Seq));
        Assert.All(envelopes, e =>
        {
            Assert.Equal("cam-03", e.Device);
            Assert.Equal("inspection", e.Agent);
            Assert.Equal("defect", e.Kind);
            Assert.Equal(new DateTime(2026, 11, 25, 12, 0, 0, DateTimeKind.Utc), e.Timestamp);
        });
        Assert.Equal([0, 1, 2, 3, 4], envelopes.Select(e => e.Payload.GetProperty("index").GetInt32()));
        Assert.Equal("scratch", envelopes[0].Payload.GetProperty("label").GetString());
        Assert.Equal(5, envelopes.Select(e => e.MessageId).Distinct().Count());
        Assert.All(subscriber.Messages.Where(m => !m.Topic.EndsWith("/status", StringComparison.Ordinal)), m => Assert.Equal("edgeai/plant-7/cam-03/inspection/defect", m.Topic));
        Assert.Contains(subscriber.Messages, m => m.Topic == "edgeai/plant-7/cam-03/status" && Text(m.Payload) == "online");

        var stats = publisher.Statistics;
        Assert.Equal(5, stats.Published);
        Assert.Equal(0, stats.OutboxPending);
        Assert.Equal(MqttProtocol.V500, stats.NegotiatedProtocol);
    }

    [Fact]
    public async Task A_clean_stop_leaves_a_retained_offline_status()
    {
        using var broker = new MosquittoFixture();
        var publisher = new MqttPublisher(Options(broker.Host, broker.Port, broker.Files.File("outbox.db")));
        await publisher.StartAsync();
        await Eventually(() => publisher.IsConnected, Wait, () => "connection");
        await publisher.DisposeAsync();

        await using var late = await MqttTestSubscriber.ConnectAsync(broker.Host, broker.Port, "edgeai/plant-7/cam-03/status");
        await late.WaitUntilAsync(m => m.Count >= 1, Wait, "the retained status");

        var status = Assert.Single(late.Messages);
        Assert.True(status.Retain);
        Assert.Equal("offline", Text(status.Payload));
    }

    [Fact]
    public async Task The_outbox_survives_a_publisher_restart_and_drains_in_order()
    {
        using var broker = new MosquittoFixture();
        var outboxPath = broker.Files.File("outbox.db");
        broker.Stop();

        // First life: the broker is down, everything waits in the outbox.
        await using (var first = new MqttPublisher(Options(broker.Host, broker.Port, outboxPath)))
        {
            await first.StartAsync();
            for (var i = 0; i < 300; i++)
            {
                await first.PublishAsync("maintenance", "rul", JsonSerializer.SerializeToElement(new Dictionary<string, int> { ["i"] = i }, OutboxTestJson.Default.DictionaryStringInt32));
            }

            await Eventually(() => first.Statistics.Stored == 300, Wait, () => $"300 stored, {first.Statistics}");
            await Eventually(() => first.Statistics.ConnectFailures >= 1, Wait, () => "a failed connection attempt");
            Assert.False(first.IsConnected);
            Assert.Contains("refused", first.Statistics.LastError, StringComparison.OrdinalIgnoreCase);
        }

        broker.Start();
        await using var subscriber = await MqttTestSubscriber.ConnectAsync(broker.Host, broker.Port, "edgeai/+/+/+/+");

        // Second life: a new process finds the outbox and drains it; new results queue up behind.
        await using var second = new MqttPublisher(Options(broker.Host, broker.Port, outboxPath));
        await second.StartAsync();
        await second.PublishAsync("maintenance", "rul", JsonSerializer.SerializeToElement(new Dictionary<string, int> { ["i"] = 300 }, OutboxTestJson.Default.DictionaryStringInt32));
        using var cts = new CancellationTokenSource(Wait);
        await second.WaitUntilDeliveredAsync(cts.Token);
        await subscriber.WaitUntilAsync(_ => Envelopes(subscriber).Count >= 301, Wait, "301 envelopes");

        var envelopes = Envelopes(subscriber);
        Assert.Equal(Enumerable.Range(0, 301), envelopes.Select(e => e.Payload.GetProperty("i").GetInt32()));
        Assert.Equal(Enumerable.Range(1, 301).Select(i => (long)i), envelopes.Select(e => e.Seq));
    }

    [Fact]
    public async Task Broker_killed_and_restarted_while_results_are_produced_loses_nothing()
    {
        const int N = 10_000;
        using var broker = new MosquittoFixture();
        await using var subscriber = await MqttTestSubscriber.ConnectAsync(broker.Host, broker.Port, "edgeai/+/+/+/+");

        // Reconnect delays run on a fake clock, so the test decides when the publisher may come back:
        // after the subscriber has resubscribed to the restarted (non-persistent) broker.
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var options = Options(broker.Host, broker.Port, broker.Files.File("outbox.db"));
        options.BackoffMin = TimeSpan.FromSeconds(1);
        options.BackoffMax = TimeSpan.FromSeconds(2);
        options.MaxOutboxMessages = 2 * N;
        await using var publisher = new MqttPublisher(options, time);
        await publisher.StartAsync();
        var watch = Stopwatch.StartNew();

        async Task Produce(int from, int to)
        {
            for (var i = from; i < to; i++)
            {
                await publisher.PublishAsync("inspection", "defect", JsonSerializer.SerializeToElement(new Dictionary<string, int> { ["i"] = i }, OutboxTestJson.Default.DictionaryStringInt32));
            }
        }

        await Produce(0, N / 3);
        await subscriber.WaitUntilAsync(_ => Envelopes(subscriber).Count >= N / 3, Wait, "first third");

        broker.Stop();
        var duringOutage = Produce(N / 3, 2 * N / 3);
        await Eventually(() => !publisher.IsConnected, Wait, () => "the publisher to notice the outage");
        await duringOutage;
        await Eventually(() => publisher.Statistics.Stored == 2 * N / 3, Wait, () => $"second third stored: {publisher.Statistics}");
        Assert.True(publisher.Statistics.OutboxPending >= N / 3 - 1);

        broker.Start();
        await subscriber.ReconnectAsync();
        var afterOutage = Produce(2 * N / 3, N);
        await Eventually(
            () =>
            {
                time.Advance(TimeSpan.FromSeconds(2));
                return publisher.IsConnected;
            },
            Wait,
            () => $"reconnect: {publisher.Statistics}");
        await afterOutage;

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await publisher.WaitUntilDeliveredAsync(cts.Token);
        await subscriber.WaitUntilAsync(_ => Envelopes(subscriber).Select(e => e.Seq).Distinct().Count() >= N, Wait, $"{N} distinct sequence numbers");
        watch.Stop();

        var envelopes = Envelopes(subscriber);
        Assert.Equal(Enumerable.Range(1, N).Select(i => (long)i), envelopes.Select(e => e.Seq).Distinct().Order());
        Assert.All(envelopes.GroupBy(e => e.Seq), g => Assert.Single(g.Select(e => e.MessageId).Distinct()));
        Assert.Equal(Enumerable.Range(0, N), envelopes.DistinctBy(e => e.Seq).OrderBy(e => e.Seq).Select(e => e.Payload.GetProperty("i").GetInt32()));
        Assert.True(publisher.Statistics.Connections >= 2);
        output.WriteLine($"{N} results across a broker kill in {watch.Elapsed.TotalSeconds:0.0} s, {envelopes.Count - N} duplicate(s)");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task A_full_queue_refuses_at_once_instead_of_blocking_inference()
    {
        using var dir = new TempDirectory();
        var options = Options("127.0.0.1", 1, dir.File("outbox.db"));
        options.ChannelCapacity = 4;
        await using var publisher = new MqttPublisher(options);
        using var payload = JsonDocument.Parse("""{"x":1}""");

        var accepted = Enumerable.Range(0, 4).Select(_ => publisher.TryPublish("a", "k", payload.RootElement)).ToArray();
        var watch = Stopwatch.StartNew();
        var fifth = publisher.TryPublish("a", "k", payload.RootElement);
        watch.Stop();

        Assert.All(accepted, Assert.True);
        Assert.False(fifth);
        Assert.True(watch.Elapsed < TimeSpan.FromMilliseconds(50), $"TryPublish took {watch.Elapsed}");
        Assert.Equal(4, publisher.Statistics.Accepted);
        Assert.Equal(1, publisher.Statistics.Rejected);
        Assert.Throws<ArgumentException>(() => publisher.TryPublish("a", "k", JsonDocument.Parse("[1,2]").RootElement));
        Assert.Throws<ArgumentException>(() => publisher.TryPublish("a/b", "k", payload.RootElement));
    }

    [Fact]
    public async Task Corrupt_outbox_rows_are_skipped_and_the_rest_delivered()
    {
        using var broker = new MosquittoFixture();
        var outboxPath = broker.Files.File("outbox.db");
        using (var outbox = SqliteOutbox.Open(outboxPath, "cam-03", 100))
        {
            for (var i = 0; i < 5; i++)
            {
                outbox.Append("edgeai/plant-7/cam-03/a/k", "a", "k", DateTime.UtcNow, JsonSerializer.SerializeToElement(new Dictionary<string, int> { ["i"] = i }, OutboxTestJson.Default.DictionaryStringInt32));
            }
        }

        using (var raw = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={outboxPath};Pooling=False"))
        {
            raw.Open();
            using var damage = raw.CreateCommand();
            damage.CommandText = "UPDATE outbox SET payload = NULL WHERE id = 2; UPDATE outbox SET topic = x'deadbeef' WHERE id = 4;";
            Assert.Throws<Microsoft.Data.Sqlite.SqliteException>(() => damage.ExecuteNonQuery());
            damage.CommandText = "UPDATE outbox SET payload = 'text, not a blob' WHERE id = 2; UPDATE outbox SET topic = x'deadbeef' WHERE id = 4;";
            damage.ExecuteNonQuery();
        }

        await using var subscriber = await MqttTestSubscriber.ConnectAsync(broker.Host, broker.Port, "edgeai/+/+/+/+");
        await using var publisher = new MqttPublisher(Options(broker.Host, broker.Port, outboxPath));
        await publisher.StartAsync();
        using var cts = new CancellationTokenSource(Wait);
        await publisher.WaitUntilDeliveredAsync(cts.Token);
        await subscriber.WaitUntilAsync(_ => Envelopes(subscriber).Count >= 3, Wait, "3 envelopes");

        Assert.Equal([0, 2, 4], Envelopes(subscriber).Select(e => e.Payload.GetProperty("i").GetInt32()));
        Assert.Equal(2, publisher.Statistics.OutboxCorrupt);
    }

    [Fact]
    public async Task Stop_stores_everything_still_queued_when_the_broker_is_away()
    {
        using var dir = new TempDirectory();
        var options = Options("127.0.0.1", 1, dir.File("outbox.db"));
        options.ChannelCapacity = 5000;
        var publisher = new MqttPublisher(options);
        await publisher.StartAsync();
        using var payload = JsonDocument.Parse("""{"x":1}""");
        for (var i = 0; i < 3000; i++)
        {
            Assert.True(publisher.TryPublish("a", "k", payload.RootElement));
        }

        await publisher.DisposeAsync();

        Assert.Equal(3000, publisher.Statistics.Stored);
        Assert.False(publisher.TryPublish("a", "k", payload.RootElement));
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await publisher.PublishAsync("a", "k", payload.RootElement));
        using var outbox = SqliteOutbox.Open(options.OutboxPath, options.Device, 10_000);
        Assert.Equal(3000, outbox.Count);
        Assert.Equal(3000, outbox.LastSequence("a"));
    }

    [Fact]
    public async Task Network_cut_mid_stream_loses_nothing_and_duplicates_keep_their_message_id()
    {
        const int N = 10_000;
        using var broker = new MosquittoFixture();

        // The broker stays up (the subscriber is connected to it directly); the device's link is cut while
        // messages are in flight and restored later. PUBACKs lost in the cut cause re-sends.
        var down = 0;
        var links = new System.Collections.Concurrent.ConcurrentDictionary<CancellationTokenSource, bool>();
        await using var relay = new FakeTcpBroker(async (client, ct) =>
        {
            if (Volatile.Read(ref down) == 1)
            {
                return;
            }

            using var link = CancellationTokenSource.CreateLinkedTokenSource(ct);
            links[link] = true;
            try
            {
                using var upstream = new System.Net.Sockets.TcpClient();
                await upstream.ConnectAsync(broker.Host, broker.Port, link.Token);
                var server = upstream.GetStream();
                var cut = Task.Delay(Timeout.Infinite, link.Token);
                await Task.WhenAny(client.CopyToAsync(server, link.Token), server.CopyToAsync(client, link.Token), cut);
            }
            finally
            {
                links.TryRemove(link, out _);
            }
        });
        await using var subscriber = await MqttTestSubscriber.ConnectAsync(broker.Host, broker.Port, "edgeai/+/+/+/+");
        var options = Options("127.0.0.1", relay.Port, broker.Files.File("outbox.db"));
        options.MaxOutboxMessages = 2 * N;
        await using var publisher = new MqttPublisher(options);
        await publisher.StartAsync();

        var production = Task.Run(async () =>
        {
            for (var i = 0; i < N; i++)
            {
                await publisher.PublishAsync("inspection", "defect", JsonSerializer.SerializeToElement(new Dictionary<string, int> { ["i"] = i }, OutboxTestJson.Default.DictionaryStringInt32));
            }
        });

        await subscriber.WaitUntilAsync(_ => Envelopes(subscriber).Count >= N / 3, Wait, "a third before the cut");
        Interlocked.Exchange(ref down, 1);
        foreach (var link in links.Keys)
        {
            await link.CancelAsync();
        }

        await Eventually(() => !publisher.IsConnected, Wait, () => "the publisher to notice the cut");
        var receivedAtCut = Envelopes(subscriber).Count;
        await Task.Delay(300);
        Interlocked.Exchange(ref down, 0);

        await production;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await publisher.WaitUntilDeliveredAsync(cts.Token);
        await subscriber.WaitUntilAsync(_ => Envelopes(subscriber).Select(e => e.Seq).Distinct().Count() >= N, Wait, $"{N} distinct sequence numbers");

        var envelopes = Envelopes(subscriber);
        Assert.True(receivedAtCut < N, $"the cut came after everything was delivered ({receivedAtCut})");
        Assert.Equal(Enumerable.Range(1, N).Select(i => (long)i), envelopes.Select(e => e.Seq).Distinct().Order());
        Assert.All(envelopes.GroupBy(e => e.Seq), g => Assert.Single(g.Select(e => e.MessageId).Distinct()));
        output.WriteLine($"{N} results, cut after {receivedAtCut} received, {envelopes.Count - N} duplicate(s), {publisher.Statistics.Connections} connections");
        Assert.True(envelopes.Count - N <= 256, $"{envelopes.Count - N} duplicates");
        Assert.True(publisher.Statistics.Connections >= 2);
    }
}

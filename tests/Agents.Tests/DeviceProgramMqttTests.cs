using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using EdgeAI.TestSupport;
using MQTTnet;

namespace EdgeAI.Agents.Tests;

/// <summary>The device program against a real mosquitto on loopback, observed by an independent subscriber.</summary>
public sealed class DeviceProgramMqttTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly MosquittoFixture _broker = new();
    private readonly TempDirectory _dir = new();

    public void Dispose()
    {
        _broker.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task Demo_against_an_external_broker_delivers_every_result_with_consecutive_sequence_numbers()
    {
        await using var subscriber = await Subscriber.ConnectAsync(_broker.Port);

        var r = await Edgeai.RunAsync(Timeout, "demo", "--broker", $"127.0.0.1:{_broker.Port}", "--duration", "2s", "--json", "--models", RepoPaths.Models);
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var report = JsonDocument.Parse(r.Stdout);
        Assert.False(report.RootElement.GetProperty("embeddedBroker").GetBoolean());

        await subscriber.WaitForAsync(s => s.Statuses.Contains("offline"), Timeout);
        var seqs = subscriber.Results.Select(e => e.Seq).Order().ToArray();
        Assert.True(seqs.Length >= 3, $"only {seqs.Length} results arrived");
        Assert.Equal(Enumerable.Range(1, seqs.Length).Select(i => (long)i), seqs);
        Assert.Equal(seqs.Length, subscriber.Results.Select(e => e.MessageId).Distinct().Count());
        Assert.Equal(["online", "offline"], subscriber.Statuses.ToArray());
    }

    [Fact]
    public async Task Killed_mid_stream_while_the_network_is_down_then_restarted_loses_nothing()
    {
        // The device reaches the broker through a relay the test can cut; the subscriber is connected
        // directly, so whatever the broker acknowledged reaches it.
        await using var network = new TcpRelay(_broker.Port);
        var config = _dir.File("edgeai.json");
        await File.WriteAllTextAsync(config, $$"""
            {
              "Device": { "Site": "plant-1", "Id": "dev-1", "ModelsPath": "{{RepoPaths.Models}}", "DataPath": "{{_dir.Path}}" },
              "Mqtt": { "Host": "127.0.0.1", "Port": {{network.Port}}, "BackoffMin": "00:00:00.100", "BackoffMax": "00:00:00.500" },
              "Fleet": { "HeartbeatSeconds": 0.05 }
            }
            """);
        await using var subscriber = await Subscriber.ConnectAsync(_broker.Port);

        // 1. Results flow.
        var first = Edgeai.Start("run", "--config", config);
        long seenBeforeOutage;
        try
        {
            await subscriber.WaitForAsync(s => s.Results.Count >= 10, Timeout);

            // 2. The network goes; the program keeps producing into its outbox.
            network.Cut();
            seenBeforeOutage = subscriber.Results.Max(e => e.Seq);
            await Task.Delay(1500);

            // 3. The program is killed without warning, mid-stream.
            first.Kill();
            await first.WaitForExitAsync();
        }
        finally
        {
            first.Dispose();
        }

        // 4. Network and program come back; the outbox drains.
        network.Resume();
        var second = Edgeai.Start("run", "--config", config);
        try
        {
            await subscriber.WaitForAsync(s => s.Results.Any(e => e.Beat == 0 && e.Seq > 10), Timeout);
            await Task.Delay(500);
            Assert.Equal(0, await Edgeai.Terminate(second, Timeout));
        }
        finally
        {
            second.Dispose();
        }

        var seqs = subscriber.Results.Select(e => e.Seq).Distinct().Order().ToArray();
        var max = seqs[^1];
        Assert.Equal(Enumerable.Range(1, (int)max).Select(i => (long)i), seqs); // no gap: nothing lost

        // The results made during the outage (by the killed process) arrived after the restart.
        var restartFirstSeq = subscriber.Results.Where(e => e.Beat == 0 && e.Seq > 10).Min(e => e.Seq);
        var madeDuringOutage = restartFirstSeq - seenBeforeOutage - 1;
        Assert.True(madeDuringOutage >= 5, $"expected results stored during the outage, found {madeDuringOutage}");

        // Re-sends keep their message id: every duplicate seq has exactly one id.
        Assert.All(subscriber.Results.GroupBy(e => e.Seq), g => Assert.Single(g.Select(e => e.MessageId).Distinct()));
    }

    private sealed record Envelope(long Seq, string MessageId, long Beat);

    private sealed class Subscriber : IAsyncDisposable
    {
        private readonly IMqttClient _client;
        private readonly int _port;
        private readonly ConcurrentQueue<Envelope> _results = new();
        private readonly ConcurrentQueue<string> _statuses = new();

        private Subscriber(int port)
        {
            _port = port;
            _client = new MqttClientFactory().CreateMqttClient();
            _client.ApplicationMessageReceivedAsync += e =>
            {
                var text = Encoding.UTF8.GetString(e.ApplicationMessage.Payload);
                if (e.ApplicationMessage.Topic.EndsWith("/status", StringComparison.Ordinal))
                {
                    _statuses.Enqueue(text);
                }
                else if (e.ApplicationMessage.Topic.EndsWith("/fleet/heartbeat", StringComparison.Ordinal) || e.ApplicationMessage.Topic.EndsWith("/fleet/inventory", StringComparison.Ordinal))
                {
                    using var doc = JsonDocument.Parse(text);
                    var root = doc.RootElement;
                    var beat = root.GetProperty("payload").TryGetProperty("beat", out var b) ? b.GetInt64() : -1;
                    _results.Enqueue(new Envelope(root.GetProperty("seq").GetInt64(), root.GetProperty("messageId").GetString()!, beat));
                }

                return Task.CompletedTask;
            };
        }

        public IReadOnlyCollection<Envelope> Results => _results;

        public IReadOnlyCollection<string> Statuses => _statuses;

        public static async Task<Subscriber> ConnectAsync(int port)
        {
            var s = new Subscriber(port);
            await s.ReconnectAsync();
            return s;
        }

        public async Task ReconnectAsync()
        {
            var deadline = DateTime.UtcNow + Timeout;
            while (true)
            {
                try
                {
                    if (_client.IsConnected)
                    {
                        await _client.DisconnectAsync();
                    }

                    await _client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", _port).WithClientId("test-subscriber-" + Guid.NewGuid().ToString("N")[..8]).Build());
                    await _client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
                        .WithTopicFilter(f => f.WithTopic("edgeai/#").WithQualityOfServiceLevel(MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce))
                        .Build());
                    return;
                }
                catch (Exception) when (DateTime.UtcNow < deadline)
                {
                    await Task.Delay(100);
                }
            }
        }

        public async Task WaitForAsync(Func<Subscriber, bool> condition, TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (!condition(this))
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"condition not met within {timeout}; {_results.Count} results, statuses: {string.Join(",", _statuses)}");
                }

                await Task.Delay(50);
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_client.IsConnected)
            {
                await _client.DisconnectAsync();
            }

            _client.Dispose();
        }
    }
}

using EdgeAI.Messaging.Sparkplug.Wire;
using EdgeAI.TestSupport;

namespace EdgeAI.Agents.Tests;

/// <summary>
/// The device program with <c>Mqtt:PayloadFormat = sparkplug</c> against a real mosquitto; every message is decoded
/// with this test assembly's own parser generated from sparkplug_b.proto.
/// </summary>
public sealed class DeviceProgramSparkplugTests : IDisposable
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
    public async Task Births_data_the_will_on_a_cut_and_a_broker_restart_keep_the_sparkplug_session_rules_and_lose_no_result()
    {
        // The device reaches the broker through a relay the test can cut; the subscriber is connected directly.
        await using var network = new TcpRelay(_broker.Port);
        var config = _dir.File("edgeai.json");
        await File.WriteAllTextAsync(config, $$"""
            {
              "Device": { "Site": "plant-1", "Id": "dev-1", "ModelsPath": "{{RepoPaths.Models}}", "DataPath": "{{_dir.Path}}" },
              "Mqtt": { "Host": "127.0.0.1", "Port": {{network.Port}}, "PayloadFormat": "sparkplug", "KeepAlive": "00:00:02", "BackoffMin": "00:00:00.100", "BackoffMax": "00:00:00.500" },
              "Fleet": { "HeartbeatSeconds": 0.05 }
            }
            """);
        await using var subscriber = await MqttTestSubscriber.ConnectAsync(_broker.Host, _broker.Port, "spBv1.0/#");
        var program = Edgeai.Start("run", "--config", config);
        try
        {
            // 1. Session 1: births, then data.
            await subscriber.WaitUntilAsync(m => Received(m).Count(r => r.Type == "DDATA") >= 10, Timeout, "10 DDATA");

            // 2. The link is cut: the broker publishes the will, the session's NDEATH.
            network.Cut();
            await subscriber.WaitUntilAsync(m => Received(m).Any(r => r.Type == "NDEATH"), Timeout, "the NDEATH will");

            // 3. The broker dies and comes back empty while the device keeps producing into its outbox.
            _broker.Stop();
            await Task.Delay(1000);
            _broker.Restart();
            await subscriber.ReconnectAsync();
            var beforeRestart = Received(subscriber.Messages).Count;
            network.Resume();

            // 4. Session 2: a new NBIRTH, then what was stored during the outage and new results.
            await subscriber.WaitUntilAsync(m => Received(m).Skip(beforeRestart).Count(r => r.Type == "DDATA") >= 40, Timeout, "40 DDATA after the restart");
            Assert.Equal(0, await Edgeai.Terminate(program, Timeout));
            await subscriber.WaitUntilAsync(m => Received(m).Count(r => r.Type == "NDEATH") >= 2, Timeout, "the NDEATH of a clean stop");
        }
        finally
        {
            if (!program.HasExited)
            {
                program.Kill();
            }

            program.Dispose();
        }

        var all = Received(subscriber.Messages);
        var sessions = SplitIntoSessions(all);
        Assert.Equal(2, sessions.Count);
        foreach (var session in sessions)
        {
            var nbirth = session[0];
            Assert.Equal("spBv1.0/plant-1/NBIRTH/dev-1", nbirth.Topic);
            Assert.True(Metric(nbirth.Payload, "Node Control/Rebirth") is { BooleanValue: false });

            // seq: 0 on NBIRTH, then +1 per message, wrapping at 256; NDEATH carries none.
            var sequenced = session.Where(r => r.Type != "NDEATH").ToList();
            Assert.Equal(Enumerable.Range(0, sequenced.Count).Select(i => (ulong)(i % 256)), sequenced.Select(r => r.Payload.Seq));

            // Every agent is born (DBIRTH) before its first DDATA, and announces every metric its DDATA carry.
            foreach (var data in session.Where(r => r.Type == "DDATA"))
            {
                var agent = data.Topic.Split('/')[^1];
                var birth = session.Take(session.IndexOf(data)).Last(r => r.Type == "DBIRTH" && r.Topic.EndsWith("/" + agent, StringComparison.Ordinal));
                Assert.All(data.Payload.Metrics, m => Assert.Contains(birth.Payload.Metrics, b => b.Name == m.Name && b.Datatype == m.Datatype));
            }

            // The NDEATH (the will, or the clean stop's) belongs to this session: same bdSeq as its NBIRTH.
            var ndeath = Assert.Single(session, r => r.Type == "NDEATH");
            Assert.False(ndeath.Payload.HasSeq);
            Assert.Equal(Metric(nbirth.Payload, "bdSeq")!.LongValue, Metric(ndeath.Payload, "bdSeq")!.LongValue);
        }

        Assert.NotEqual(Metric(sessions[0][0].Payload, "bdSeq")!.LongValue, Metric(sessions[1][0].Payload, "bdSeq")!.LongValue);

        // Every result arrived: per agent, the envelope's sequence numbers carried as the "seq" metric have no gap,
        // and a re-sent result keeps its message id.
        var results = all.Where(r => r.Type == "DDATA")
            .Select(r => (Agent: r.Topic.Split('/')[^1], Seq: (long)Metric(r.Payload, "seq")!.LongValue, Id: Metric(r.Payload, "messageId")!.StringValue))
            .ToList();
        Assert.Contains(results, r => r.Agent == "fleet");
        foreach (var agent in results.GroupBy(r => r.Agent))
        {
            var seqs = agent.Select(r => r.Seq).Distinct().Order().ToArray();
            Assert.Equal(Enumerable.Range(1, seqs.Length).Select(i => (long)i), seqs);
            Assert.All(agent.GroupBy(r => r.Seq), g => Assert.Single(g.Select(r => r.Id).Distinct()));
        }

        // Results stored during the outage arrived in session 2.
        var lastBefore = sessions[0].Where(r => r.Type == "DDATA" && r.Topic.EndsWith("/fleet", StringComparison.Ordinal)).Max(r => Metric(r.Payload, "seq")!.LongValue);
        var firstAfter = sessions[1].Where(r => r.Type == "DDATA" && r.Topic.EndsWith("/fleet", StringComparison.Ordinal)).Min(r => Metric(r.Payload, "seq")!.LongValue);
        Assert.True(firstAfter <= lastBefore + 1, $"session 2 starts at fleet seq {firstAfter}, session 1 ended at {lastBefore}");
    }

    private sealed record Message(string Topic, string Type, SpbPayload Payload);

    private static List<Message> Received(IEnumerable<MqttTestSubscriber.Received> messages) =>
        messages.Select(m => new Message(m.Topic, m.Topic.Split('/')[2], SpbPayload.Parser.ParseFrom(m.Payload))).ToList();

    /// <summary>Each session runs from an NBIRTH up to the next NBIRTH.</summary>
    private static List<List<Message>> SplitIntoSessions(List<Message> all)
    {
        var sessions = new List<List<Message>>();
        foreach (var message in all)
        {
            if (message.Type == "NBIRTH")
            {
                sessions.Add([]);
            }

            Assert.True(sessions.Count > 0, $"{message.Topic} before any NBIRTH");
            sessions[^1].Add(message);
        }

        return sessions;
    }

    private static SpbPayload.Types.SpbMetric? Metric(SpbPayload payload, string name) => payload.Metrics.SingleOrDefault(m => m.Name == name);
}

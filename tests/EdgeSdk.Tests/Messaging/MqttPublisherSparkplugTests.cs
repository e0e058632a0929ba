using System.Text.Json;
using EdgeAI.Messaging;
using EdgeAI.Messaging.Sparkplug.Wire;
using EdgeAI.TestSupport;
using Google.Protobuf;
using MQTTnet;
using static EdgeAI.Sdk.Tests.Messaging.MessagingTestHelpers;

namespace EdgeAI.Sdk.Tests.Messaging;

/// <summary>
/// <see cref="MqttPublisher"/> with <see cref="MqttPayloadFormat.Sparkplug"/> against a real mosquitto; what arrives is
/// decoded with the protobuf parser generated from sparkplug_b.proto, independently of the encoder.
/// </summary>
public sealed class MqttPublisherSparkplugTests : IDisposable
{
    private const string Node = "spBv1.0/plant-7/{0}/cam-03";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly MosquittoFixture _mosquitto = new();

    public void Dispose() => _mosquitto.Dispose();

    [Fact]
    public async Task Results_arrive_as_ddata_after_nbirth_and_a_dbirth_announcing_every_metric_with_seq_wrapping_at_256()
    {
        await using var subscriber = await SubscribeAsync("spBv1.0/#");
        await using var json = await SubscribeAsync("edgeai/#");
        await using var publisher = await StartPublisherAsync();
        using var result = JsonDocument.Parse("""{"label":"scratch","score":0.5,"box":[1,2],"ok":true,"meta":{"cam":"c1"},"note":null}""");
        for (var i = 0; i < 300; i++)
        {
            Assert.True(publisher.TryPublish("inspection", "defect", result.RootElement));
        }

        using var cts = new CancellationTokenSource(Wait);
        await publisher.WaitUntilDeliveredAsync(cts.Token);
        await subscriber.WaitUntilAsync(m => m.Count >= 302, Wait, "NBIRTH, DBIRTH and 300 DDATA");

        var received = Decode(subscriber);
        Assert.Equal(302, received.Count);
        var (birthTopic, nbirth) = received[0];
        Assert.Equal(string.Format(Node, "NBIRTH"), birthTopic);
        Assert.Equal(0UL, Metric(nbirth, "bdSeq").LongValue);
        Assert.False(Metric(nbirth, "Node Control/Rebirth").BooleanValue);

        var (dbirthTopic, dbirth) = received[1];
        Assert.Equal(string.Format(Node, "DBIRTH") + "/inspection", dbirthTopic);
        Assert.Equal(["messageId", "seq", "kind", "defect/label", "defect/score", "defect/box", "defect/ok", "defect/meta/cam", "defect/note"], dbirth.Metrics.Select(m => m.Name));
        Assert.All(dbirth.Metrics, m => Assert.True(m.IsNull));
        Assert.Equal([12u, 4u, 12u, 12u, 10u, 12u, 11u, 12u, 12u], dbirth.Metrics.Select(m => m.Datatype)); // String, Int64, Double, Boolean

        var data = received.Skip(2).ToList();
        Assert.All(data, d => Assert.Equal(string.Format(Node, "DDATA") + "/inspection", d.Topic));
        // Sparkplug seq: 0 for NBIRTH, +1 per message of the session, wrapping from 255 to 0.
        Assert.Equal(Enumerable.Range(0, 302).Select(i => (ulong)(i % 256)), received.Select(r => r.Payload.Seq));
        // The envelope's own per-agent sequence and id ride along, so a backend still sees gaps and duplicates.
        Assert.Equal(Enumerable.Range(1, 300).Select(i => (long)i), data.Select(d => (long)Metric(d.Payload, "seq").LongValue));
        Assert.Equal(300, data.Select(d => Metric(d.Payload, "messageId").StringValue).Distinct().Count());
        Assert.All(data.Select(d => Metric(d.Payload, "messageId").StringValue), id => Assert.True(Guid.TryParseExact(id, "D", out _)));
        var first = data[0].Payload;
        Assert.Equal("defect", Metric(first, "kind").StringValue);
        Assert.Equal("scratch", Metric(first, "defect/label").StringValue);
        Assert.Equal(0.5, Metric(first, "defect/score").DoubleValue);
        Assert.Equal("[1,2]", Metric(first, "defect/box").StringValue);
        Assert.True(Metric(first, "defect/ok").BooleanValue);
        Assert.Equal("c1", Metric(first, "defect/meta/cam").StringValue);
        Assert.True(Metric(first, "defect/note").IsNull);
        Assert.All(first.Metrics, m => Assert.True(m.Timestamp <= first.Timestamp, "a metric's timestamp is when the result was made, before it was sent"));

        // Sparkplug replaces the JSON topics and the retained status: nothing under edgeai/.
        Assert.Empty(json.Messages);
    }

    [Fact]
    public async Task A_new_metric_or_a_changed_type_sends_a_fresh_dbirth_before_the_ddata()
    {
        await using var subscriber = await SubscribeAsync("spBv1.0/#");
        await using var publisher = await StartPublisherAsync();
        foreach (var (agent, text) in new[] { ("a", """{"x":1}"""), ("a", """{"x":2}"""), ("b", """{"x":"s"}"""), ("a", """{"x":3,"y":true}"""), ("a", """{"x":"now text"}""") })
        {
            using var doc = JsonDocument.Parse(text);
            await publisher.PublishAsync(agent, "k", doc.RootElement);
        }

        using var cts = new CancellationTokenSource(Wait);
        await publisher.WaitUntilDeliveredAsync(cts.Token);
        await subscriber.WaitUntilAsync(m => m.Count >= 10, Wait, "births and data");

        var received = Decode(subscriber);
        Assert.Equal(
            ["NBIRTH", "DBIRTH/a", "DDATA/a", "DDATA/a", "DBIRTH/b", "DDATA/b", "DBIRTH/a", "DDATA/a", "DBIRTH/a", "DDATA/a"],
            received.Select(r => string.Join('/', r.Topic.Split('/').Skip(2).Where((_, i) => i != 1))));
        Assert.Contains(received[6].Payload.Metrics, m => m.Name == "k/y" && m.Datatype == 11);
        Assert.Equal(12u, received[8].Payload.Metrics.Single(m => m.Name == "k/x").Datatype);
        Assert.Equal(10u, received[6].Payload.Metrics.Single(m => m.Name == "k/x").Datatype);
    }

    [Fact]
    public async Task A_rebirth_command_births_again_with_the_same_bdseq_and_seq_from_zero()
    {
        await using var subscriber = await SubscribeAsync("spBv1.0/+/+/cam-03/#");
        await using var publisher = await StartPublisherAsync();
        using var doc = JsonDocument.Parse("""{"x":1}""");
        await publisher.PublishAsync("a", "k", doc.RootElement);
        await subscriber.WaitUntilAsync(m => m.Count >= 3, Wait, "NBIRTH, DBIRTH, DDATA");

        // A host's NCMD: garbage first (ignored), then Node Control/Rebirth = true.
        using var host = new MqttClientFactory().CreateMqttClient();
        await host.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer(_mosquitto.Host, _mosquitto.Port).WithClientId("scada-host").Build());
        var command = string.Format(Node, "NCMD");
        await host.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(command).WithPayload([0xFF, 0x01, 0x02]).Build());
        var rebirth = new SpbPayload { Timestamp = 1, Metrics = { new SpbPayload.Types.SpbMetric { Name = "Node Control/Rebirth", Datatype = 11, BooleanValue = true } } };
        await host.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(command).WithPayload(rebirth.ToByteArray()).Build());
        await subscriber.WaitUntilAsync(m => m.Count(r => r.Topic.Contains("/DBIRTH/", StringComparison.Ordinal)) >= 2, Wait, "NBIRTH and DBIRTH again");
        await publisher.PublishAsync("a", "k", doc.RootElement);
        await subscriber.WaitUntilAsync(m => m.Count(r => r.Topic.Contains("/DDATA/", StringComparison.Ordinal)) >= 2, Wait, "the next DDATA");

        var received = Decode(subscriber);
        Assert.Equal(["NBIRTH", "DBIRTH", "DDATA", "NBIRTH", "DBIRTH", "DDATA"], received.Select(r => r.Topic.Split('/')[2]));
        Assert.Equal([0UL, 1UL, 2UL, 0UL, 1UL, 2UL], received.Select(r => r.Payload.Seq));
        Assert.Equal(Metric(received[0].Payload, "bdSeq").LongValue, Metric(received[3].Payload, "bdSeq").LongValue);
        Assert.Equal(1, publisher.Statistics.Connections);
    }

    [Fact]
    public async Task A_clean_stop_publishes_the_ndeath_of_the_session()
    {
        await using var subscriber = await SubscribeAsync("spBv1.0/#");
        var publisher = await StartPublisherAsync();
        await Eventually(() => publisher.IsConnected, Wait, () => $"connection: {publisher.Statistics}");
        await publisher.DisposeAsync();
        await subscriber.WaitUntilAsync(m => m.Count >= 2, Wait, "NBIRTH and NDEATH");

        var received = Decode(subscriber);
        Assert.Equal([string.Format(Node, "NBIRTH"), string.Format(Node, "NDEATH")], received.Select(r => r.Topic));
        Assert.False(received[1].Payload.HasSeq);
        Assert.Equal(Metric(received[0].Payload, "bdSeq").LongValue, Metric(received[1].Payload, "bdSeq").LongValue);
    }

    private Task<MqttTestSubscriber> SubscribeAsync(string filter) => MqttTestSubscriber.ConnectAsync(_mosquitto.Host, _mosquitto.Port, filter);

    private async Task<MqttPublisher> StartPublisherAsync()
    {
        var options = Options("127.0.0.1", _mosquitto.Port, _mosquitto.Files.File("outbox.db"));
        options.PayloadFormat = MqttPayloadFormat.Sparkplug;
        var publisher = new MqttPublisher(options);
        await publisher.StartAsync();
        return publisher;
    }

    /// <summary>What the publisher sent (node commands from the test's "host" left out), decoded.</summary>
    private static List<(string Topic, SpbPayload Payload)> Decode(MqttTestSubscriber subscriber) =>
        subscriber.Messages
            .Where(m => !m.Topic.Contains("/NCMD/", StringComparison.Ordinal))
            .Select(m => (m.Topic, SpbPayload.Parser.ParseFrom(m.Payload)))
            .ToList();

    private static SpbPayload.Types.SpbMetric Metric(SpbPayload payload, string name) => payload.Metrics.Single(m => m.Name == name);
}

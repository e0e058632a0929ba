using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using EdgeAI.Messaging;
using EdgeAI.Messaging.Sparkplug.Wire;
using EdgeAI.TestSupport;
using Microsoft.Extensions.Time.Testing;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeAI.Sdk.Tests.Messaging;

public sealed class SparkplugNodeTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private static FakeTimeProvider Clock(long unixMs) => new(DateTimeOffset.FromUnixTimeMilliseconds(unixMs));

    [Fact]
    public void Ddata_bytes_match_a_hand_encoded_protobuf_payload()
    {
        var node = new SparkplugNode("plant-7", "cam-03", Clock(1000));
        node.BeginSession();
        node.NodeBirth([]);
        node.DeviceBirth("inspection", [SparkplugMetric.Double("score", 0)]);

        var message = node.DeviceData("inspection", [SparkplugMetric.Double("score", 0.5)]);

        // Independent encoding from the protobuf wire rules: tag = field << 3 | wire type.
        var metric = new List<byte> { 0x0A, 0x05 };                  // 1 name, length 5
        metric.AddRange(Encoding.UTF8.GetBytes("score"));
        metric.AddRange([0x18, 0xE8, 0x07]);                        // 3 timestamp varint 1000
        metric.AddRange([0x20, 0x0A]);                              // 4 datatype 10 (Double)
        metric.Add(0x69);                                           // 13 double_value, fixed64
        var bits = new byte[8];
        BinaryPrimitives.WriteDoubleLittleEndian(bits, 0.5);
        metric.AddRange(bits);
        var expected = new List<byte> { 0x08, 0xE8, 0x07 };         // 1 timestamp 1000
        expected.AddRange([0x12, (byte)metric.Count]);              // 2 metrics, length-delimited
        expected.AddRange(metric);
        expected.AddRange([0x18, 0x02]);                            // 3 seq 2 (NBIRTH 0, DBIRTH 1)

        Assert.Equal("spBv1.0/plant-7/DDATA/cam-03/inspection", message.Topic);
        Assert.Equal(expected, message.Payload.ToArray());
    }

    [Fact]
    public void Seq_starts_at_zero_with_nbirth_and_wraps_after_255()
    {
        var node = new SparkplugNode("g", "n", Clock(0));
        node.BeginSession();
        var seqs = new List<int?> { node.NodeBirth([]).Seq, node.DeviceBirth("d", [SparkplugMetric.Int32("x", 0)]).Seq };
        for (var i = 0; i < 300; i++)
        {
            var message = node.DeviceData("d", [SparkplugMetric.Int32("x", i)]);
            seqs.Add(message.Seq);
            Assert.Equal((ulong)message.Seq!, SpbPayload.Parser.ParseFrom(message.Payload.Span).Seq);
        }

        Assert.Equal(Enumerable.Range(0, 302).Select(i => (int?)(i % 256)), seqs);
    }

    [Fact]
    public void BdSeq_advances_per_session_wraps_and_matches_between_nbirth_and_ndeath()
    {
        var node = new SparkplugNode("g", "n", Clock(0));
        for (var session = 0; session < 260; session++)
        {
            var death = node.BeginSession();
            var birth = node.NodeBirth([SparkplugMetric.String("model", "defect-int8")]);
            var deathPayload = SpbPayload.Parser.ParseFrom(death.Payload.Span);
            var birthPayload = SpbPayload.Parser.ParseFrom(birth.Payload.Span);

            Assert.Equal(session % 256, node.BdSeq);
            Assert.Equal("spBv1.0/g/NDEATH/n", death.Topic);
            Assert.False(deathPayload.HasSeq);
            var deathBdSeq = Assert.Single(deathPayload.Metrics);
            Assert.Equal("bdSeq", deathBdSeq.Name);
            Assert.Equal((uint)SparkplugDataType.Int64, deathBdSeq.Datatype);
            Assert.Equal((ulong)(session % 256), deathBdSeq.LongValue);
            Assert.Equal(0UL, birthPayload.Seq);
            Assert.Equal(deathBdSeq.LongValue, birthPayload.Metrics.Single(m => m.Name == "bdSeq").LongValue);
            Assert.False(birthPayload.Metrics.Single(m => m.Name == "Node Control/Rebirth").BooleanValue);
            Assert.Equal("defect-int8", birthPayload.Metrics.Single(m => m.Name == "model").StringValue);
        }
    }

    [Fact]
    public void Typed_metrics_round_trip_through_the_wire_types()
    {
        var node = new SparkplugNode("g", "n", Clock(5));
        node.BeginSession();
        var birth = node.NodeBirth(
        [
            SparkplugMetric.Int32("i32", -2),
            SparkplugMetric.Int64("i64", -3),
            SparkplugMetric.UInt64("u64", ulong.MaxValue),
            SparkplugMetric.Float("f", 1.25f),
            SparkplugMetric.Boolean("b", true),
            SparkplugMetric.DateTime("t", DateTimeOffset.FromUnixTimeMilliseconds(1234)),
            SparkplugMetric.Bytes("raw", [1, 2, 3]),
            SparkplugMetric.Null("nothing", SparkplugDataType.Double),
        ]);

        var metrics = SpbPayload.Parser.ParseFrom(birth.Payload.Span).Metrics.ToDictionary(m => m.Name);

        Assert.Equal(-2, unchecked((int)metrics["i32"].IntValue));
        Assert.Equal(-3, unchecked((long)metrics["i64"].LongValue));
        Assert.Equal(ulong.MaxValue, metrics["u64"].LongValue);
        Assert.Equal(1.25f, metrics["f"].FloatValue);
        Assert.True(metrics["b"].BooleanValue);
        Assert.Equal(1234UL, metrics["t"].LongValue);
        Assert.Equal([1, 2, 3], metrics["raw"].BytesValue.ToByteArray());
        Assert.True(metrics["nothing"].IsNull);
        Assert.Equal(SpbPayload.Types.SpbMetric.ValueOneofCase.None, metrics["nothing"].ValueCase);
        Assert.All(metrics.Values, m => Assert.Equal(5UL, m.Timestamp));
    }

    [Fact]
    public void Messages_out_of_the_required_order_are_refused()
    {
        var node = new SparkplugNode("g", "n");

        Assert.Throws<InvalidOperationException>(() => node.NodeBirth([]));
        node.BeginSession();
        Assert.Throws<InvalidOperationException>(() => node.DeviceBirth("d", []));
        node.NodeBirth([]);
        Assert.Throws<InvalidOperationException>(() => node.DeviceData("d", []));
        Assert.Throws<ArgumentException>(() => node.DeviceBirth("d/e", []));
        Assert.Throws<ArgumentException>(() => new SparkplugNode("g+", "n"));
    }

    [Fact]
    public async Task Birth_data_and_death_reach_a_subscriber_through_mosquitto()
    {
        using var mosquitto = new MosquittoFixture();
        var relay = new FakeTcpBroker(async (client, ct) =>
        {
            using var upstream = new TcpClient();
            await upstream.ConnectAsync(mosquitto.Host, mosquitto.Port, ct);
            var server = upstream.GetStream();
            await Task.WhenAny(client.CopyToAsync(server, ct), server.CopyToAsync(client, ct));
        });
        await using var subscriber = await MqttTestSubscriber.ConnectAsync(mosquitto.Host, mosquitto.Port, "spBv1.0/#");
        var node = new SparkplugNode("plant-7", "cam-03");
        var death = node.BeginSession();
        using var client = new MqttClientFactory().CreateMqttClient();
        await client.ConnectAsync(new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", relay.Port)
            .WithClientId("spb-node")
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V311)
            .WithWillTopic(death.Topic)
            .WithWillPayload(death.Payload.ToArray())
            .WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .Build());
        foreach (var message in new[]
        {
            node.NodeBirth([]),
            node.DeviceBirth("inspection", [SparkplugMetric.Double("score", 0), SparkplugMetric.String("label", "")]),
            node.DeviceData("inspection", [SparkplugMetric.Double("score", 0.93), SparkplugMetric.String("label", "scratch")]),
        })
        {
            await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(message.Topic).WithPayload(message.Payload.ToArray()).Build());
        }

        await subscriber.WaitUntilAsync(m => m.Count >= 3, Wait, "NBIRTH, DBIRTH, DDATA");
        await relay.DisposeAsync();
        await subscriber.WaitUntilAsync(m => m.Count >= 4, Wait, "the NDEATH will");

        var received = subscriber.Messages.ToArray();
        Assert.Equal(
            ["spBv1.0/plant-7/NBIRTH/cam-03", "spBv1.0/plant-7/DBIRTH/cam-03/inspection", "spBv1.0/plant-7/DDATA/cam-03/inspection", "spBv1.0/plant-7/NDEATH/cam-03"],
            received.Select(m => m.Topic));
        var payloads = received.Select(m => SpbPayload.Parser.ParseFrom(m.Payload)).ToArray();
        Assert.Equal([0UL, 1UL, 2UL], payloads.Take(3).Select(p => p.Seq));
        Assert.Equal(payloads[0].Metrics.Single(m => m.Name == "bdSeq").LongValue, payloads[3].Metrics.Single().LongValue);
        Assert.Equal(0.93, payloads[2].Metrics.Single(m => m.Name == "score").DoubleValue);
    }
}

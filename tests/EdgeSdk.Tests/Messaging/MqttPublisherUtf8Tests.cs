using System.Text;
using System.Text.Json;
using EdgeAI.Messaging;
using EdgeAI.TestSupport;
using Microsoft.Extensions.Time.Testing;
using static EdgeAI.Sdk.Tests.Messaging.MessagingTestHelpers;

namespace EdgeAI.Sdk.Tests.Messaging;

/// <summary><see cref="MqttPublisher.TryPublishUtf8"/>: results that are already UTF-8 JSON, and the envelope written around them.</summary>
public sealed class MqttPublisherUtf8Tests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    // Text the relaxed encoder writes as itself ('+', '<', non-ASCII, emoji) and text it must escape
    // (quote, backslash, control characters), numbers in every shape the writer can produce, nesting.
    public static TheoryData<string> Payloads() =>
    [
        """{"label":"scratch","score":0.5,"index":3}""",
        """{"source":"c:\\cams\\\"line 7\"\n\t+<b>&amp; Größe 🙂 \u0001","n":[1E-06,-0,1.7976931348623157E+308,-5,0.1]}""",
        """{"nested":{"a":[{"b":[[],{}]}],"t":true,"f":false,"z":null},"empty":""}""",
        """{}""",
    ];

    [Theory]
    [MemberData(nameof(Payloads))]
    public void The_envelope_around_raw_bytes_equals_the_serialized_envelope_byte_for_byte(string text)
    {
        using var writer = new EnvelopeWriter();
        using var doc = JsonDocument.Parse(text);
        // What a producer writes with the wire's relaxed encoder (as the inspection agent does); the serializer
        // re-escapes an element's strings that way too (an emoji as a \uD83D\uDE42 pair, for one).
        var payload = Relaxed(doc.RootElement);
        var timestamp = new DateTime(2026, 11, 25, 13, 21, 33, 481, DateTimeKind.Utc).AddTicks(6052);
        var expected = new MessageEnvelope
        {
            MessageId = "0193a5c4-7b8e-7000-8000-000000000001",
            Device = "cam-03 \"line+7\"",
            Agent = "inspection",
            Kind = "result",
            Seq = 42,
            Timestamp = timestamp,
            Payload = doc.RootElement,
        }.ToUtf8Json();

        var actual = writer.Write("0193a5c4-7b8e-7000-8000-000000000001", "cam-03 \"line+7\"", "inspection", "result", 42, timestamp, payload);

        Assert.Equal(Encoding.UTF8.GetString(expected), Encoding.UTF8.GetString(actual));
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void A_payload_written_otherwise_is_embedded_verbatim_and_parses_to_the_same_values()
    {
        using var writer = new EnvelopeWriter();
        var payload = "{ \"label\" : \"🙂 \\u00e9\",\n \"n\": 1.50 }"u8;

        var envelope = writer.Write("0193a5c4-7b8e-7000-8000-000000000001", "cam", "inspection", "result", 1, DateTime.UnixEpoch, payload);

        Assert.Contains("\"payload\":{ \"label\" : \"🙂 \\u00e9\",\n \"n\": 1.50 }}", Encoding.UTF8.GetString(envelope), StringComparison.Ordinal);
        Assert.True(MessageEnvelope.TryParse(envelope, out var parsed));
        Assert.Equal("🙂 é", parsed.Payload.GetProperty("label").GetString());
        Assert.Equal(1.5, parsed.Payload.GetProperty("n").GetDouble());
    }

    private static byte[] Relaxed(JsonElement element)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            element.WriteTo(json);
        }

        return buffer.WrittenSpan.ToArray();
    }

    [Theory]
    [InlineData("", "is empty")]
    [InlineData("   ", "not valid JSON")]
    [InlineData("[1,2]", "must be a JSON object")]
    [InlineData("\"text\"", "must be a JSON object")]
    [InlineData("{\"a\":1", "not valid JSON")]
    [InlineData("{\"a\":1}{\"b\":2}", "not valid JSON")]
    [InlineData("{\"a\":1} x", "not valid JSON")]
    [InlineData("{\"a\":tru}", "not valid JSON")]
    [InlineData("{'a':1}", "not valid JSON")]
    public async Task A_payload_that_is_not_one_json_object_is_refused_with_a_reason_and_not_queued(string payload, string reason)
    {
        using var files = new TempDirectory();
        await using var publisher = new MqttPublisher(Options("127.0.0.1", 1, files.File("outbox.db")));

        var ex = Assert.Throws<ArgumentException>(() => publisher.TryPublishUtf8("inspection", "result", Encoding.UTF8.GetBytes(payload)));

        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, publisher.Statistics.Accepted);
    }

    [Fact]
    public async Task Invalid_utf8_and_nesting_deeper_than_the_envelope_allows_are_refused()
    {
        using var files = new TempDirectory();
        await using var publisher = new MqttPublisher(Options("127.0.0.1", 1, files.File("outbox.db")));
        byte[] badUtf8 = [(byte)'{', (byte)'"', (byte)'a', (byte)'"', (byte)':', (byte)'"', 0xC3, 0x28, (byte)'"', (byte)'}'];
        var deep = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("{\"a\":", 63)) + "1" + new string('}', 63));
        var deepest = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("{\"a\":", 64)) + "1" + new string('}', 64));

        Assert.Contains("not valid UTF-8", Assert.Throws<ArgumentException>(() => publisher.TryPublishUtf8("inspection", "result", badUtf8)).Message, StringComparison.Ordinal);
        Assert.True(publisher.TryPublishUtf8("inspection", "result", deep));
        Assert.Contains("not valid JSON", Assert.Throws<ArgumentException>(() => publisher.TryPublishUtf8("inspection", "result", deepest)).Message, StringComparison.Ordinal);
        Assert.Equal(1, publisher.Statistics.Accepted);
    }

    [Fact]
    public async Task Raw_and_element_results_interleaved_arrive_in_order_with_consecutive_sequence_numbers_and_the_same_payloads()
    {
        using var broker = new MosquittoFixture();
        await using var subscriber = await MqttTestSubscriber.ConnectAsync(broker.Host, broker.Port, "edgeai/+/+/inspection/#");
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero));
        await using var publisher = new MqttPublisher(Options(broker.Host, broker.Port, broker.Files.File("outbox.db")), time);
        var buffer = new byte[256];

        // Before start (queued in memory) and after; the caller's buffer is reused for every raw result.
        for (var i = 0; i < 40; i++)
        {
            if (i == 20)
            {
                await publisher.StartAsync();
            }

            var payload = $$"""{"index":{{i}},"label":"größe+<{{i}}>"}""";
            if (i % 2 == 0)
            {
                var length = Encoding.UTF8.GetBytes(payload, buffer);
                Assert.True(publisher.TryPublishUtf8("inspection", "result", buffer.AsSpan(0, length)));
                buffer.AsSpan(0, length).Fill((byte)'x');
            }
            else
            {
                using var doc = JsonDocument.Parse(payload);
                Assert.True(publisher.TryPublish("inspection", "result", doc.RootElement));
            }
        }

        using var cts = new CancellationTokenSource(Wait);
        await publisher.WaitUntilDeliveredAsync(cts.Token);
        await subscriber.WaitUntilAsync(m => m.Count == 40, Wait, "40 results");

        var envelopes = Envelopes(subscriber);
        Assert.Equal(Enumerable.Range(1, 40).Select(i => (long)i), envelopes.Select(e => e.Seq));
        Assert.Equal(Enumerable.Range(0, 40), envelopes.Select(e => e.Payload.GetProperty("index").GetInt32()));
        Assert.All(envelopes, e => Assert.Equal($"größe+<{e.Payload.GetProperty("index").GetInt32()}>", e.Payload.GetProperty("label").GetString()));
        Assert.All(subscriber.Messages, m => Assert.Contains("\"label\":\"größe+<", Text(m.Payload), StringComparison.Ordinal));
        var stats = publisher.Statistics;
        Assert.Equal((40L, 40L, 0L), (stats.Stored, stats.Published, stats.OutboxPending));
    }
}

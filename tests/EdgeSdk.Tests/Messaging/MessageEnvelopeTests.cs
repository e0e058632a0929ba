using System.Text;
using System.Text.Json;
using EdgeAI.Messaging;

namespace EdgeAI.Sdk.Tests.Messaging;

public sealed class MessageEnvelopeTests
{
    [Fact]
    public void Serializes_the_documented_field_names_and_a_utc_iso8601_timestamp()
    {
        using var payload = JsonDocument.Parse("""{"label":"scratch","score":0.93}""");
        var envelope = new MessageEnvelope
        {
            MessageId = "0193b6c4-7d2e-7c41-9a53-2f1e8d9b0a11",
            Device = "cam-03",
            Agent = "inspection",
            Kind = "defect",
            Seq = 42,
            Timestamp = new DateTime(2026, 11, 25, 10, 50, 31, 123, DateTimeKind.Utc),
            Payload = payload.RootElement,
        };

        var json = Encoding.UTF8.GetString(envelope.ToUtf8Json());

        Assert.Equal(
            """{"messageId":"0193b6c4-7d2e-7c41-9a53-2f1e8d9b0a11","device":"cam-03","agent":"inspection","kind":"defect","seq":42,"timestamp":"2026-11-25T10:50:31.123Z","payload":{"label":"scratch","score":0.93}}""",
            json);
        Assert.True(MessageEnvelope.TryParse(Encoding.UTF8.GetBytes(json), out var back));
        Assert.Equal(42, back.Seq);
        Assert.Equal(DateTimeKind.Utc, back.Timestamp.Kind);
        Assert.Equal(0.93, back.Payload.GetProperty("score").GetDouble());
    }

    [Fact]
    public void Plus_signs_and_non_ascii_text_are_written_as_themselves_and_quotes_stay_escaped()
    {
        // The payload as an agent's own context wrote it: HTML-safe, '+' and 'é' escaped.
        using var payload = JsonDocument.Parse("""{"note":"a\u002Bb caf\u00E9 \"q\""}""");
        var envelope = new MessageEnvelope
        {
            MessageId = "0193b6c4-7d2e-7c41-9a53-2f1e8d9b0a11",
            Device = "cam+1",
            Agent = "a",
            Kind = "k",
            Seq = 1,
            Timestamp = new DateTime(2026, 11, 25, 0, 0, 0, DateTimeKind.Utc),
            Payload = payload.RootElement,
        };

        var json = Encoding.UTF8.GetString(envelope.ToUtf8Json());

        Assert.Contains("\"device\":\"cam+1\"", json, StringComparison.Ordinal);
        Assert.Contains("\"note\":\"a+b café \\\"q\\\"\"", json, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u00", json, StringComparison.Ordinal);
        Assert.True(MessageEnvelope.TryParse(Encoding.UTF8.GetBytes(json), out var back));
        Assert.Equal("a+b café \"q\"", back.Payload.GetProperty("note").GetString());
    }

    public static TheoryData<string> Hostile => new()
    {
        "",
        "null",
        "[]",
        "\"text\"",
        "{",
        "{\"messageId\":1}",
        """{"messageId":"0193b6c4-7d2e-7c41-9a53-2f1e8d9b0a11","device":"d","agent":"a","kind":"k","seq":1,"timestamp":"2026-11-25T10:50:31Z","payload":[1,2]}""",
        """{"messageId":"0193b6c4-7d2e-7c41-9a53-2f1e8d9b0a11","device":"d","agent":"a","kind":"k","seq":0,"timestamp":"2026-11-25T10:50:31Z","payload":{}}""",
        """{"messageId":"not-a-guid","device":"d","agent":"a","kind":"k","seq":1,"timestamp":"2026-11-25T10:50:31Z","payload":{}}""",
        """{"messageId":"0193b6c4-7d2e-7c41-9a53-2f1e8d9b0a11","device":"d","agent":"a","kind":"k","seq":1,"timestamp":"2026-11-25T10:50:31","payload":{}}""",
        """{"messageId":"0193b6c4-7d2e-7c41-9a53-2f1e8d9b0a11","device":"d","agent":"a","kind":"k","seq":"1","timestamp":"2026-11-25T10:50:31Z","payload":{}}""",
        """{"messageId":"0193b6c4-7d2e-7c41-9a53-2f1e8d9b0a11","device":"d","agent":"a","kind":"k","seq":1,"timestamp":"2026-11-25T10:50:31Z","payload":{},"extra":1}""",
        new string('[', 100_000),
        "{\"payload\":" + new string('{', 5000),
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public void Garbage_is_refused_without_throwing(string text)
    {
        Assert.False(MessageEnvelope.TryParse(Encoding.UTF8.GetBytes(text), out var envelope));
        Assert.Null(envelope);
    }

    [Fact]
    public void Random_bytes_are_refused_without_throwing()
    {
        var random = new Random(99);
        var buffer = new byte[512];
        for (var i = 0; i < 2000; i++)
        {
            random.NextBytes(buffer.AsSpan(0, random.Next(1, buffer.Length)));
            Assert.False(MessageEnvelope.TryParse(buffer, out _));
        }

        Assert.False(MessageEnvelope.TryParse([0xFF, 0xFE, 0x7B, 0x7D], out _));
    }
}

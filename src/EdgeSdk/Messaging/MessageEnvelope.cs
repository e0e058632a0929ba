using System.Text.Json;

namespace EdgeAI.Messaging;

/// <summary>
/// The JSON document published for every result (schema and example in <c>docs/messaging.md</c>).
/// </summary>
/// <remarks>
/// <see cref="MessageId"/> is unique per message and stays the same when a message is sent again after a
/// reconnect, so a backend removes duplicates by it. <see cref="Seq"/> counts the results of one agent on one
/// device: it starts at 1, grows by exactly one and survives restarts, so a gap means results were dropped
/// (outbox overflow) and a repeat means a duplicate delivery.
/// </remarks>
public sealed class MessageEnvelope
{
    /// <summary>Unique message id: a version 7 (time-ordered) GUID in its 36-character form.</summary>
    public required string MessageId { get; init; }

    /// <summary>The device that produced the result.</summary>
    public required string Device { get; init; }

    /// <summary>The agent that produced the result.</summary>
    public required string Agent { get; init; }

    /// <summary>The result kind (last topic level).</summary>
    public required string Kind { get; init; }

    /// <summary>Per-device, per-agent sequence number, from 1.</summary>
    public required long Seq { get; init; }

    /// <summary>When the agent handed the result over, UTC (serialized as ISO-8601 with <c>Z</c>).</summary>
    public required DateTime Timestamp { get; init; }

    /// <summary>The agent's result: always a JSON object.</summary>
    public required JsonElement Payload { get; init; }

    /// <summary>Serializes the envelope to UTF-8 JSON.</summary>
    /// <returns>The document's bytes.</returns>
    public byte[] ToUtf8Json() => JsonSerializer.SerializeToUtf8Bytes(this, MessagingJsonContext.Wire.MessageEnvelope);

    /// <summary>
    /// Parses a received message. Never throws on bad input: garbage, truncated JSON, missing or mistyped
    /// fields, a non-object payload or a non-UTC timestamp all return <see langword="false"/>.
    /// </summary>
    /// <param name="utf8Json">The MQTT payload.</param>
    /// <param name="envelope">The parsed envelope, or <see langword="null"/>.</param>
    /// <returns>Whether the payload is a valid envelope.</returns>
    public static bool TryParse(ReadOnlySpan<byte> utf8Json, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out MessageEnvelope? envelope)
    {
        envelope = null;
        try
        {
            var parsed = JsonSerializer.Deserialize(utf8Json, MessagingJsonContext.Wire.MessageEnvelope);
            if (parsed is null
                || parsed.Payload.ValueKind != JsonValueKind.Object
                || parsed.Seq < 1
                || parsed.Timestamp.Kind != DateTimeKind.Utc
                || !Guid.TryParseExact(parsed.MessageId, "D", out _)
                || string.IsNullOrEmpty(parsed.Device)
                || string.IsNullOrEmpty(parsed.Agent)
                || string.IsNullOrEmpty(parsed.Kind))
            {
                return false;
            }

            envelope = parsed;
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}

using System.Text.Json;

namespace EdgeAI.Messaging;

/// <summary>A result on its way into the outbox, before it has a message id and a sequence number.</summary>
/// <param name="Topic">The MQTT topic.</param>
/// <param name="Agent">The agent that produced the result.</param>
/// <param name="Kind">The result kind.</param>
/// <param name="TimestampUtc">When the result was handed over.</param>
/// <param name="Payload">The result, a JSON object; <see langword="default"/> when <paramref name="Utf8Payload"/> carries it.</param>
/// <param name="Utf8Payload">
/// Or the result as validated UTF-8 JSON: the first <paramref name="Utf8Length"/> bytes of an array rented from the
/// publisher's payload pool, which its ingest loop returns once the batch is stored.
/// </param>
/// <param name="Utf8Length">Bytes of <paramref name="Utf8Payload"/> in use.</param>
internal readonly record struct OutboxEntry(string Topic, string Agent, string Kind, DateTime TimestampUtc, JsonElement Payload, byte[]? Utf8Payload = null, int Utf8Length = 0);

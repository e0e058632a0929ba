using System.Text.Json;

namespace EdgeAI.Messaging;

/// <summary>A result on its way into the outbox, before it has a message id and a sequence number.</summary>
internal readonly record struct OutboxEntry(string Topic, string Agent, string Kind, DateTime TimestampUtc, JsonElement Payload);

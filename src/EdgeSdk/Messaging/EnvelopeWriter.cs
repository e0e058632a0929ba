using System.Buffers;
using System.Text.Json;

namespace EdgeAI.Messaging;

/// <summary>
/// Writes a <see cref="MessageEnvelope"/> around a payload that is already UTF-8 JSON, without parsing it into a
/// <see cref="JsonElement"/> first. The bytes equal <see cref="MessageEnvelope.ToUtf8Json"/> for the same content
/// (same property order, timestamp format and escaping; tested byte for byte).
/// </summary>
/// <remarks>Reuses one buffer; not thread-safe (the outbox calls it under its lock).</remarks>
internal sealed class EnvelopeWriter : IDisposable
{
    private static readonly JsonEncodedText MessageIdName = JsonEncodedText.Encode("messageId");
    private static readonly JsonEncodedText DeviceName = JsonEncodedText.Encode("device");
    private static readonly JsonEncodedText AgentName = JsonEncodedText.Encode("agent");
    private static readonly JsonEncodedText KindName = JsonEncodedText.Encode("kind");
    private static readonly JsonEncodedText SeqName = JsonEncodedText.Encode("seq");
    private static readonly JsonEncodedText TimestampName = JsonEncodedText.Encode("timestamp");
    private static readonly JsonEncodedText PayloadName = JsonEncodedText.Encode("payload");

    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private readonly Utf8JsonWriter _json;

    public EnvelopeWriter()
    {
        _json = new Utf8JsonWriter(_buffer, new JsonWriterOptions { Encoder = MessagingJsonContext.Wire.Options.Encoder });
    }

    /// <summary>The envelope's UTF-8 JSON; <paramref name="payload"/> must be a validated JSON object.</summary>
    public byte[] Write(string messageId, string device, string agent, string kind, long seq, DateTime timestampUtc, ReadOnlySpan<byte> payload)
    {
        _buffer.ResetWrittenCount();
        _json.Reset();
        _json.WriteStartObject();
        _json.WriteString(MessageIdName, messageId);
        _json.WriteString(DeviceName, device);
        _json.WriteString(AgentName, agent);
        _json.WriteString(KindName, kind);
        _json.WriteNumber(SeqName, seq);
        _json.WriteString(TimestampName, timestampUtc);
        _json.WritePropertyName(PayloadName);
        _json.WriteRawValue(payload, skipInputValidation: true);
        _json.WriteEndObject();
        _json.Flush();
        return _buffer.WrittenSpan.ToArray();
    }

    public void Dispose() => _json.Dispose();
}

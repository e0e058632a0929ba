using System.Text.Json.Serialization;

namespace EdgeAI.Messaging;

// Reflection-free serialization of the envelope (AOT/trim safe). Unknown members are refused on read so a
// document from another schema is not mistaken for ours.
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    MaxDepth = 64)]
[JsonSerializable(typeof(MessageEnvelope))]
internal sealed partial class MessagingJsonContext : JsonSerializerContext;

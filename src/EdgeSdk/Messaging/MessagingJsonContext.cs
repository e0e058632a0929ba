using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace EdgeAI.Messaging;

// Reflection-free serialization of the envelope (AOT/trim safe). Unknown members are refused on read so a
// document from another schema is not mistaken for ours.
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    MaxDepth = 64)]
[JsonSerializable(typeof(MessageEnvelope))]
internal sealed partial class MessagingJsonContext : JsonSerializerContext
{
    /// <summary>
    /// The context for what goes on the wire: like <see cref="Default"/>, but '+', '&lt;', quotes in text and
    /// non-ASCII characters are written as themselves instead of \uXXXX. Payloads are UTF-8 JSON for machines,
    /// never embedded in HTML, so the HTML-safe default only makes them larger and harder to read.
    /// </summary>
    public static MessagingJsonContext Wire { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        MaxDepth = 64,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}

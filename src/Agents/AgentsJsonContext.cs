using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using EdgeAI.Agents.Fleet;
using EdgeAI.Inference;

namespace EdgeAI.Agents;

// Source-generated JSON for everything the program prints or publishes (Native AOT: no reflection).
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SelfTestResult[]))]
[JsonSerializable(typeof(ModelInventory))]
[JsonSerializable(typeof(Heartbeat))]
[JsonSerializable(typeof(Commands.DemoReport))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(Inspection.DefectInspection[]))]
internal sealed partial class AgentsJsonContext : JsonSerializerContext
{
    /// <summary>
    /// The context for output people and scripts read: like <see cref="Default"/>, but without escaping
    /// '+' and non-ASCII text as \uXXXX. Payloads are UTF-8 JSON, never embedded in HTML.
    /// </summary>
    public static AgentsJsonContext Output { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}

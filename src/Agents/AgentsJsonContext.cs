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
[JsonSerializable(typeof(DeviceStatus))]
[JsonSerializable(typeof(ModelInventory))]
[JsonSerializable(typeof(Heartbeat))]
[JsonSerializable(typeof(Commands.DemoReport))]
[JsonSerializable(typeof(string))]
internal sealed partial class AgentsJsonContext : JsonSerializerContext;

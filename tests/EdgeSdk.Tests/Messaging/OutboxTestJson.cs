using System.Text.Json.Serialization;

namespace EdgeAI.Sdk.Tests.Messaging;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(Dictionary<string, int>))]
[JsonSerializable(typeof(InspectionResult))]
internal sealed partial class OutboxTestJson : JsonSerializerContext;

internal sealed record InspectionResult(string Label, double Score, int Index);

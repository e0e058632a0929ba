using System.Text.Json.Serialization;

namespace EdgeAI.QuantCli;

// Source-generated (reflection-free) JSON for the --json reports.
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(InspectReport))]
[JsonSerializable(typeof(QuantizeReport))]
[JsonSerializable(typeof(CompareReport))]
[JsonSerializable(typeof(PruneReport))]
internal sealed partial class ReportJsonContext : JsonSerializerContext;

using System.Text.Json;

namespace EdgeAI.Agents.Commands;

/// <summary>One message the demo's monitor saw on the broker.</summary>
internal sealed record DemoMessage(double AtSeconds, string Topic, bool Retained, JsonElement Payload);

/// <summary>What <c>edgeai demo --json</c> prints.</summary>
internal sealed record DemoReport(string Broker, bool EmbeddedBroker, double DurationSeconds, int MessageCount, DemoMessage[] Messages);

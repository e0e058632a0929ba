using System.Text.Json;
using System.Text.Json.Serialization;
using EdgeAI.Agents.Inspection;
using EdgeAI.Vision;

namespace EdgeAI.Agents.Tests.Inspection;

// The documented inspection payloads as plain records, serialized by System.Text.Json with the agent's output options
// (the way the agent published them before InspectionPayloadWriter): the reference the writer's bytes must equal.

internal sealed record ReferenceLatency(double Wait, double Preprocess, double Inference, double Postprocess, double Total);

internal sealed record ReferenceRegion(string Class, double Score, double Peak, int[] Box);

internal sealed record ReferenceResult(
    long Frame, DateTime Timestamp, string Source, int Width, int Height, string Label, double DefectScore, double Threshold, bool Defective,
    string DefectType, int[] Box, ReferenceRegion[] Regions, Dictionary<string, double> Probabilities, string Model, string ModelVersion,
    string Variant, ReferenceLatency LatencyMs, long DroppedFrames, long CorruptFrames);

internal sealed record ReferenceDefect(
    long Frame, DateTime Timestamp, string Source, int Region, int Regions, string Class, double Score, double Peak, int[] Box, int Width,
    int Height, double DefectScore, double Threshold, string Model, string ModelVersion, string Variant, ReferenceLatency LatencyMs,
    long DroppedFrames, long CorruptFrames);

[JsonSerializable(typeof(ReferenceResult))]
[JsonSerializable(typeof(ReferenceDefect))]
internal sealed partial class PayloadReferenceJson : JsonSerializerContext
{
    // The options the agent published these records with: a copy of its output context's, resolving these types.
    public static PayloadReferenceJson Relaxed { get; } = new(new JsonSerializerOptions(AgentsJsonContext.Output.Options));

    public static byte[] Result(Frame frame, string source, InspectionVerdict verdict, string model, string version, InspectionLatency latency, long dropped, long corrupt)
    {
        var v = verdict.ToInspection(source);
        var record = new ReferenceResult(frame.SequenceNumber, frame.Timestamp.UtcDateTime, source, frame.Width, frame.Height, v.Label, v.DefectScore, v.Threshold,
            v.Defective, v.DefectType, v.Box, [.. v.Regions.Select(r => new ReferenceRegion(r.Class, r.Score, r.Peak, r.Box))], v.Probabilities, model, version,
            v.Variant, Latency(latency), dropped, corrupt);
        return JsonSerializer.SerializeToUtf8Bytes(record, Relaxed.ReferenceResult);
    }

    public static byte[] Defect(Frame frame, string source, InspectionVerdict verdict, int index, string model, string version, InspectionLatency latency, long dropped, long corrupt)
    {
        var v = verdict.ToInspection(source);
        var r = v.Regions[index];
        var record = new ReferenceDefect(frame.SequenceNumber, frame.Timestamp.UtcDateTime, source, index, v.Regions.Length, r.Class, r.Score, r.Peak, r.Box,
            frame.Width, frame.Height, v.DefectScore, v.Threshold, model, version, v.Variant, Latency(latency), dropped, corrupt);
        return JsonSerializer.SerializeToUtf8Bytes(record, Relaxed.ReferenceDefect);
    }

    private static ReferenceLatency Latency(InspectionLatency l) => new(l.Wait, l.Preprocess, l.Inference, l.Postprocess, l.Total);
}

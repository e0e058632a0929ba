using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using EdgeAI.Vision;

namespace EdgeAI.Agents.Inspection;

/// <summary>
/// Writes the inspection agent's payloads as UTF-8 JSON into one reused buffer: <c>…/inspection/result</c> per
/// frame and <c>…/inspection/defect</c> per region (schemas in <c>docs/vision.md</c>). Nothing is allocated per
/// message once the buffer has grown to the largest payload.
/// </summary>
/// <remarks>
/// The bytes are exactly what System.Text.Json's serializer writes for the documented payload with the agent's
/// output options (camelCase names in declaration order, shortest round-trip numbers, <c>NaN</c>/<c>Infinity</c>
/// as strings, ISO-8601 UTC timestamps, relaxed escaping); tests compare the two byte for byte. The span a
/// <c>Write…</c> method returns is valid until the next call. Not thread-safe: one per inspection loop.
/// </remarks>
internal sealed class InspectionPayloadWriter : IDisposable
{
    private static readonly JsonEncodedText FrameName = JsonEncodedText.Encode("frame");
    private static readonly JsonEncodedText TimestampName = JsonEncodedText.Encode("timestamp");
    private static readonly JsonEncodedText SourceName = JsonEncodedText.Encode("source");
    private static readonly JsonEncodedText WidthName = JsonEncodedText.Encode("width");
    private static readonly JsonEncodedText HeightName = JsonEncodedText.Encode("height");
    private static readonly JsonEncodedText LabelName = JsonEncodedText.Encode("label");
    private static readonly JsonEncodedText DefectScoreName = JsonEncodedText.Encode("defectScore");
    private static readonly JsonEncodedText ThresholdName = JsonEncodedText.Encode("threshold");
    private static readonly JsonEncodedText DefectiveName = JsonEncodedText.Encode("defective");
    private static readonly JsonEncodedText DefectTypeName = JsonEncodedText.Encode("defectType");
    private static readonly JsonEncodedText BoxName = JsonEncodedText.Encode("box");
    private static readonly JsonEncodedText RegionName = JsonEncodedText.Encode("region");
    private static readonly JsonEncodedText RegionsName = JsonEncodedText.Encode("regions");
    private static readonly JsonEncodedText ClassName = JsonEncodedText.Encode("class");
    private static readonly JsonEncodedText ScoreName = JsonEncodedText.Encode("score");
    private static readonly JsonEncodedText PeakName = JsonEncodedText.Encode("peak");
    private static readonly JsonEncodedText ProbabilitiesName = JsonEncodedText.Encode("probabilities");
    private static readonly JsonEncodedText ModelName = JsonEncodedText.Encode("model");
    private static readonly JsonEncodedText ModelVersionName = JsonEncodedText.Encode("modelVersion");
    private static readonly JsonEncodedText VariantName = JsonEncodedText.Encode("variant");
    private static readonly JsonEncodedText LatencyName = JsonEncodedText.Encode("latencyMs");
    private static readonly JsonEncodedText WaitName = JsonEncodedText.Encode("wait");
    private static readonly JsonEncodedText PreprocessName = JsonEncodedText.Encode("preprocess");
    private static readonly JsonEncodedText InferenceName = JsonEncodedText.Encode("inference");
    private static readonly JsonEncodedText PostprocessName = JsonEncodedText.Encode("postprocess");
    private static readonly JsonEncodedText TotalName = JsonEncodedText.Encode("total");
    private static readonly JsonEncodedText DroppedName = JsonEncodedText.Encode("droppedFrames");
    private static readonly JsonEncodedText CorruptName = JsonEncodedText.Encode("corruptFrames");

    private readonly ArrayBufferWriter<byte> _buffer = new(2048);
    private readonly Utf8JsonWriter _json;
    private readonly string _model;
    private readonly string _modelVersion;

    /// <param name="model">Model name from the manifest.</param>
    /// <param name="modelVersion">Model version from the manifest.</param>
    public InspectionPayloadWriter(string model, string modelVersion)
    {
        _model = model;
        _modelVersion = modelVersion;
        // The encoder of the agent's output and of the publisher's envelope: '+', quotes and non-ASCII text as themselves.
        _json = new Utf8JsonWriter(_buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    /// <summary>The per-frame result: verdict, regions, probabilities, model, latency and counters.</summary>
    /// <param name="frame">The inspected frame (number, timestamp, size).</param>
    /// <param name="source">The frame's published source name.</param>
    /// <param name="verdict">The frame's verdict.</param>
    /// <param name="latency">The frame's time breakdown.</param>
    /// <param name="droppedFrames">Frames lost so far (source and queue).</param>
    /// <param name="corruptFrames">Frames so far that did not decode.</param>
    /// <returns>The payload, valid until the next call.</returns>
    public ReadOnlySpan<byte> WriteResult(Frame frame, ReadOnlySpan<char> source, InspectionVerdict verdict, in InspectionLatency latency, long droppedFrames, long corruptFrames)
    {
        var w = Begin(frame, source);
        w.WriteNumber(WidthName, frame.Width);
        w.WriteNumber(HeightName, frame.Height);
        w.WriteString(LabelName, verdict.Labels[verdict.Label]);
        WriteNumber(w, DefectScoreName, verdict.DefectScore);
        WriteNumber(w, ThresholdName, verdict.Threshold);
        w.WriteBoolean(DefectiveName, verdict.Defective);
        w.WriteString(DefectTypeName, verdict.Labels[verdict.DefectType]);
        WriteBox(w, verdict.Box);
        w.WriteStartArray(RegionsName);
        foreach (var region in verdict.Regions)
        {
            w.WriteStartObject();
            WriteRegion(w, verdict, region);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartObject(ProbabilitiesName);
        var probabilities = verdict.Probabilities;
        for (var k = 0; k < probabilities.Length; k++)
        {
            w.WritePropertyName(verdict.Labels[k]);
            WriteNumberValue(w, probabilities[k]);
        }

        w.WriteEndObject();
        return End(verdict, latency, droppedFrames, corruptFrames);
    }

    /// <summary>The message for region <paramref name="region"/> of a defective frame.</summary>
    /// <param name="frame">The inspected frame (number, timestamp, size).</param>
    /// <param name="source">The frame's published source name.</param>
    /// <param name="verdict">The frame's verdict.</param>
    /// <param name="region">Index into <see cref="InspectionVerdict.Regions"/>, 0 = strongest.</param>
    /// <param name="latency">The frame's time breakdown.</param>
    /// <param name="droppedFrames">Frames lost so far (source and queue).</param>
    /// <param name="corruptFrames">Frames so far that did not decode.</param>
    /// <returns>The payload, valid until the next call.</returns>
    public ReadOnlySpan<byte> WriteDefect(Frame frame, ReadOnlySpan<char> source, InspectionVerdict verdict, int region, in InspectionLatency latency, long droppedFrames, long corruptFrames)
    {
        var w = Begin(frame, source);
        w.WriteNumber(RegionName, region);
        w.WriteNumber(RegionsName, verdict.Regions.Length);
        WriteRegion(w, verdict, verdict.Regions[region]);
        w.WriteNumber(WidthName, frame.Width);
        w.WriteNumber(HeightName, frame.Height);
        WriteNumber(w, DefectScoreName, verdict.DefectScore);
        WriteNumber(w, ThresholdName, verdict.Threshold);
        return End(verdict, latency, droppedFrames, corruptFrames);
    }

    public void Dispose() => _json.Dispose();

    // Every payload starts with the frame's number, timestamp and source.
    private Utf8JsonWriter Begin(Frame frame, ReadOnlySpan<char> source)
    {
        _buffer.ResetWrittenCount();
        _json.Reset();
        _json.WriteStartObject();
        _json.WriteNumber(FrameName, frame.SequenceNumber);
        _json.WriteString(TimestampName, frame.Timestamp.UtcDateTime);
        _json.WriteString(SourceName, source);
        return _json;
    }

    // ... and ends with the model, the latency and the counters.
    private ReadOnlySpan<byte> End(InspectionVerdict verdict, in InspectionLatency latency, long droppedFrames, long corruptFrames)
    {
        var w = _json;
        w.WriteString(ModelName, _model);
        w.WriteString(ModelVersionName, _modelVersion);
        w.WriteString(VariantName, verdict.Variant);
        w.WriteStartObject(LatencyName);
        WriteNumber(w, WaitName, latency.Wait);
        WriteNumber(w, PreprocessName, latency.Preprocess);
        WriteNumber(w, InferenceName, latency.Inference);
        WriteNumber(w, PostprocessName, latency.Postprocess);
        WriteNumber(w, TotalName, latency.Total);
        w.WriteEndObject();
        w.WriteNumber(DroppedName, droppedFrames);
        w.WriteNumber(CorruptName, corruptFrames);
        w.WriteEndObject();
        w.Flush();
        return _buffer.WrittenSpan;
    }

    private static void WriteRegion(Utf8JsonWriter w, InspectionVerdict verdict, in RegionVerdict region)
    {
        w.WriteString(ClassName, verdict.Labels[region.Class]);
        WriteNumber(w, ScoreName, region.Score);
        WriteNumber(w, PeakName, region.Peak);
        WriteBox(w, region.Box);
    }

    private static void WriteBox(Utf8JsonWriter w, PixelBox box)
    {
        w.WriteStartArray(BoxName);
        w.WriteNumberValue(box.X);
        w.WriteNumberValue(box.Y);
        w.WriteNumberValue(box.Width);
        w.WriteNumberValue(box.Height);
        w.WriteEndArray();
    }

    private static void WriteNumber(Utf8JsonWriter w, JsonEncodedText name, double value)
    {
        w.WritePropertyName(name);
        WriteNumberValue(w, value);
    }

    // JsonNumberHandling.AllowNamedFloatingPointLiterals, as the agent's JSON context: NaN and infinities as strings.
    private static void WriteNumberValue(Utf8JsonWriter w, double value)
    {
        if (double.IsFinite(value))
        {
            w.WriteNumberValue(value);
        }
        else
        {
            w.WriteStringValue(double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
        }
    }
}

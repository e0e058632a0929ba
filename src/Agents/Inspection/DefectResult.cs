using EdgeAI.Inference;
using EdgeAI.Vision;

namespace EdgeAI.Agents.Inspection;

/// <summary>Published on <c>…/inspection/defect</c>, one per defect region of a defective frame (<c>Inspection:Publish = defect</c>).</summary>
/// <param name="Frame">The source's frame number.</param>
/// <param name="Timestamp">When the frame was captured or arrived (UTC).</param>
/// <param name="Source">File name or stream frame id.</param>
/// <param name="Region">This region's index within the frame, 0 = strongest.</param>
/// <param name="Regions">How many regions the frame has (messages with the same frame number).</param>
/// <param name="Class">Defect class.</param>
/// <param name="Score">The class's probability.</param>
/// <param name="Peak">The region's peak heat on its class's map scaled to [0, 1].</param>
/// <param name="Box">[x, y, width, height] in frame pixels.</param>
/// <param name="Width">Frame width in pixels.</param>
/// <param name="Height">Frame height in pixels.</param>
/// <param name="DefectScore">The frame's 1 - p(ok).</param>
/// <param name="Threshold">The loaded variant's defect threshold (its own, or the manifest's top-level one).</param>
/// <param name="Model">Model name.</param>
/// <param name="ModelVersion">Model version.</param>
/// <param name="Variant">Variant that ran.</param>
/// <param name="LatencyMs">The frame's time breakdown.</param>
/// <param name="DroppedFrames">Frames lost so far because inspection was slower than the source.</param>
/// <param name="CorruptFrames">Frames so far that could not be decoded.</param>
internal sealed record DefectResult(
    long Frame,
    DateTime Timestamp,
    string Source,
    int Region,
    int Regions,
    string Class,
    double Score,
    double Peak,
    int[] Box,
    int Width,
    int Height,
    double DefectScore,
    double Threshold,
    string Model,
    string ModelVersion,
    string Variant,
    InspectionLatency LatencyMs,
    long DroppedFrames,
    long CorruptFrames)
{
    /// <summary>The message for region <paramref name="index"/> of <paramref name="frame"/>'s verdict.</summary>
    public static DefectResult From(Frame frame, string source, DefectInspection inspection, int index, EdgeModel model, InspectionLatency latency, long droppedFrames, long corruptFrames)
    {
        var region = inspection.Regions[index];
        return new(frame.SequenceNumber, frame.Timestamp.UtcDateTime, source, index, inspection.Regions.Length, region.Class, region.Score, region.Peak, region.Box,
            frame.Width, frame.Height, inspection.DefectScore, inspection.Threshold, model.Manifest.Name, model.Manifest.Version,
            model.Variant.Name, latency, droppedFrames, corruptFrames);
    }
}

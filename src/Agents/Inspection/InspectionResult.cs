using EdgeAI.Inference;
using EdgeAI.Vision;

namespace EdgeAI.Agents.Inspection;

/// <summary>Published on <c>…/inspection/result</c> for every inspected frame (<c>Inspection:Publish = frame</c>).</summary>
/// <param name="Frame">The source's frame number; gaps mean frames were dropped or corrupt.</param>
/// <param name="Timestamp">When the frame was captured or arrived (UTC).</param>
/// <param name="Source">File name (simulated, folder) or stream frame id (mjpeg, ffmpeg).</param>
/// <param name="Width">Frame width in pixels (boxes are in these pixels).</param>
/// <param name="Height">Frame height in pixels.</param>
/// <param name="Label">Most likely class.</param>
/// <param name="DefectScore">1 - p(ok).</param>
/// <param name="Threshold">The loaded variant's defect threshold (its own, or the manifest's top-level one).</param>
/// <param name="Defective">DefectScore above Threshold.</param>
/// <param name="DefectType">Most likely defect class, whose heatmap gives <paramref name="Box"/>.</param>
/// <param name="Box">[x, y, width, height] of the heatmap's hot cells.</param>
/// <param name="Regions">Defective frames: each hot region per likely defect class (as in the per-defect messages).</param>
/// <param name="Probabilities">Softmax per label.</param>
/// <param name="Model">Model name from the manifest.</param>
/// <param name="ModelVersion">Model version from the manifest.</param>
/// <param name="Variant">Variant that ran (fp32, int8, pruned-int8).</param>
/// <param name="LatencyMs">Time breakdown.</param>
/// <param name="DroppedFrames">Frames lost so far because inspection was slower than the source (source and queue).</param>
/// <param name="CorruptFrames">Frames so far that could not be decoded.</param>
internal sealed record InspectionResult(
    long Frame,
    DateTime Timestamp,
    string Source,
    int Width,
    int Height,
    string Label,
    double DefectScore,
    double Threshold,
    bool Defective,
    string DefectType,
    int[] Box,
    DefectRegion[] Regions,
    Dictionary<string, double> Probabilities,
    string Model,
    string ModelVersion,
    string Variant,
    InspectionLatency LatencyMs,
    long DroppedFrames,
    long CorruptFrames)
{
    /// <summary>The message for <paramref name="frame"/>'s verdict.</summary>
    public static InspectionResult From(Frame frame, string source, DefectInspection inspection, EdgeModel model, InspectionLatency latency, long droppedFrames, long corruptFrames) =>
        new(frame.SequenceNumber, frame.Timestamp.UtcDateTime, source, frame.Width, frame.Height, inspection.Label, inspection.DefectScore,
            inspection.Threshold, inspection.Defective, inspection.DefectType, inspection.Box, inspection.Regions, inspection.Probabilities,
            model.Manifest.Name, model.Manifest.Version, model.Variant.Name, latency, droppedFrames, corruptFrames);
}

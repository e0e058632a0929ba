namespace EdgeAI.Agents.Inspection;

/// <summary>The inspection agent's settings (configuration section <c>Inspection</c>).</summary>
internal sealed class InspectionOptions
{
    public const string Section = "Inspection";

    /// <summary>Run the agent; off when the device has no line camera.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Model directory name under <c>Device:ModelsPath</c>.</summary>
    public string Model { get; set; } = "defect-cnn";

    /// <summary>Model variant; the manifest's default when empty.</summary>
    public string? Variant { get; set; }

    /// <summary>Where frames come from (default: the model's demo pictures replayed at 4 frames/s).</summary>
    public InspectionSourceOptions Source { get; set; } = new();

    /// <summary>
    /// The line's own reject threshold on the defect score, 0-1, taught from its good parts with <c>edgeai calibrate-threshold</c>;
    /// default (empty): the loaded variant's threshold from the manifest, picked at 2% false rejects on the model's validation
    /// surfaces, which a different surface may not match.
    /// </summary>
    public double? DefectThreshold { get; set; }

    /// <summary>One message per frame (default) or one per defect region.</summary>
    public InspectionPublishMode Publish { get; set; } = InspectionPublishMode.Frame;

    /// <summary>Local heatmap overlays and defect crops; off by default.</summary>
    public ImageSaveOptions SaveImages { get; set; } = new();

    /// <summary>
    /// Frames waiting between the camera and the model, 1-8 (default 2). When inference falls behind a live
    /// camera the oldest waiting frame is dropped and counted. (A folder source keeps its own backlog instead.)
    /// </summary>
    public int QueueCapacity { get; set; } = 2;

    /// <summary>
    /// Defect classes other than the most likely one also get regions when their probability is at least
    /// this, 0-1 (default 0.25).
    /// </summary>
    public double RegionMinProbability { get; set; } = 0.25;

    /// <summary>Most defect regions reported per frame, strongest first, 1-64 (default 8).</summary>
    public int MaxRegions { get; set; } = 8;
}

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

    /// <summary>
    /// Folder of pictures replayed by a simulated camera (the demo and bench setups); relative paths are
    /// taken from the model directory. Real cameras (folder, MJPEG, V4L2) are SDK sources to wire here next.
    /// </summary>
    public string SimulatedSource { get; set; } = "demo";

    /// <summary>Frames per second of the simulated camera; 0.1 to 120.</summary>
    public double FramesPerSecond { get; set; } = 4;
}

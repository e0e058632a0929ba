namespace EdgeAI.Agents.Inspection;

/// <summary>One hot region of a defective frame, as <see cref="DefectInspector"/> finds it (no allocation).</summary>
/// <param name="Class">Label index of the defect class whose heatmap the region comes from.</param>
/// <param name="Score">That class's softmax probability, rounded to 6 decimals.</param>
/// <param name="Peak">The region's highest heat on its class's map scaled to [0, 1], rounded to 4 decimals.</param>
/// <param name="Box">The region in frame pixels.</param>
internal readonly record struct RegionVerdict(int Class, double Score, double Peak, PixelBox Box);

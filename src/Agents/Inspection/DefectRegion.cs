namespace EdgeAI.Agents.Inspection;

/// <summary>One place on a defective part where a defect class's heatmap is hot.</summary>
/// <param name="Class">The defect class whose heatmap the region comes from.</param>
/// <param name="Score">That class's softmax probability for the frame, in [0, 1].</param>
/// <param name="Peak">The region's highest heat on its class's map scaled to [0, 1]: 1 for the hottest region, at least 0.5.</param>
/// <param name="Box">The region in source-image pixels [x, y, width, height].</param>
internal sealed record DefectRegion(string Class, double Score, double Peak, int[] Box);

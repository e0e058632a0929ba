namespace EdgeAI.Agents.Inspection;

/// <summary>The verdict on one image: the most likely class, the defect score and where the defect is.</summary>
/// <param name="Source">File name or frame id.</param>
/// <param name="Label">Most likely class (<c>ok</c> or a defect type).</param>
/// <param name="DefectScore">1 - p(ok), in [0, 1].</param>
/// <param name="Threshold">The loaded variant's <c>defect</c> threshold the score is compared with.</param>
/// <param name="Defective">Whether <paramref name="DefectScore"/> is above <paramref name="Threshold"/>.</param>
/// <param name="DefectType">The most likely defect class (even when the part passes), whose heatmap gives the box.</param>
/// <param name="Box">Defect box in source-image pixels [x, y, width, height]: the heatmap cells at or above half its peak.</param>
/// <param name="Regions">Defective parts only: each connected hot region of each likely defect class, strongest first.</param>
/// <param name="Probabilities">Softmax probability per label.</param>
/// <param name="Variant">Model variant that ran.</param>
/// <param name="LatencyMs">Preprocessing plus inference, in milliseconds.</param>
/// <param name="PreprocessMs">Resize and normalize into the model input, in milliseconds.</param>
/// <param name="InferenceMs">The ONNX Runtime run, in milliseconds.</param>
internal sealed record DefectInspection(
    string Source,
    string Label,
    double DefectScore,
    double Threshold,
    bool Defective,
    string DefectType,
    int[] Box,
    DefectRegion[] Regions,
    Dictionary<string, double> Probabilities,
    string Variant,
    double LatencyMs,
    double PreprocessMs,
    double InferenceMs);

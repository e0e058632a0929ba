namespace EdgeAI.Agents.Inspection;

/// <summary>
/// The verdict on the frame a <see cref="DefectInspector"/> inspected last: most likely class, defect score,
/// box, regions and probabilities. The inspector owns one and overwrites it on every frame, so reading a verdict
/// allocates nothing; <see cref="ToInspection"/> copies it into a record that outlives the next frame.
/// </summary>
/// <remarks>Valid until the inspector's next <see cref="DefectInspector.Inspect"/>; not thread-safe.</remarks>
internal sealed class InspectionVerdict
{
    private readonly RegionVerdict[] _regions;
    private readonly double[] _probabilities;
    private int _regionCount;

    public InspectionVerdict(string[] labels, double threshold, string variant, int maxRegions)
    {
        Labels = labels;
        Threshold = threshold;
        Variant = variant;
        _regions = new RegionVerdict[maxRegions];
        _probabilities = new double[labels.Length];
    }

    /// <summary>The model's labels; class indices below point into them.</summary>
    public string[] Labels { get; }

    /// <summary>The manifest's <c>defect</c> threshold the score is compared with.</summary>
    public double Threshold { get; }

    /// <summary>Model variant that ran (fp32, int8, pruned-int8).</summary>
    public string Variant { get; }

    /// <summary>Index of the most likely class.</summary>
    public int Label { get; private set; }

    /// <summary>1 - p(ok) rounded to 6 decimals, in [0, 1].</summary>
    public double DefectScore { get; private set; }

    /// <summary>1 - p(ok) as compared with <see cref="Threshold"/>, unrounded (what a taught threshold is picked from).</summary>
    public double ExactDefectScore { get; private set; }

    /// <summary>Whether <see cref="ExactDefectScore"/> is above <see cref="Threshold"/>.</summary>
    public bool Defective { get; private set; }

    /// <summary>Index of the most likely defect class (even when the part passes), whose heatmap gives <see cref="Box"/>.</summary>
    public int DefectType { get; private set; }

    /// <summary>Bounding box of every hot cell of <see cref="DefectType"/>'s heatmap, in frame pixels.</summary>
    public PixelBox Box { get; private set; }

    /// <summary>Defective frames only: each hot region of each likely defect class, strongest first.</summary>
    public ReadOnlySpan<RegionVerdict> Regions => _regions.AsSpan(0, _regionCount);

    /// <summary>Softmax probability per label, rounded to 6 decimals.</summary>
    public ReadOnlySpan<double> Probabilities => _probabilities;

    /// <summary>Resize and normalize into the model input, in milliseconds (rounded to 3 decimals).</summary>
    public double PreprocessMs { get; private set; }

    /// <summary>The ONNX Runtime run, in milliseconds (rounded to 3 decimals).</summary>
    public double InferenceMs { get; private set; }

    /// <summary>Preprocessing plus inference, in milliseconds (rounded to 3 decimals).</summary>
    public double LatencyMs { get; private set; }

    /// <summary>A copy of this verdict for output that is kept (the <c>inspect</c> command's JSON).</summary>
    /// <param name="source">File name or frame id.</param>
    public DefectInspection ToInspection(string source)
    {
        var regions = new DefectRegion[_regionCount];
        for (var i = 0; i < regions.Length; i++)
        {
            var r = _regions[i];
            regions[i] = new DefectRegion(Labels[r.Class], r.Score, r.Peak, r.Box.ToArray());
        }

        var probabilities = new Dictionary<string, double>(Labels.Length);
        for (var k = 0; k < Labels.Length; k++)
        {
            probabilities[Labels[k]] = _probabilities[k];
        }

        return new DefectInspection(source, Labels[Label], DefectScore, Threshold, Defective, Labels[DefectType], Box.ToArray(), regions,
            probabilities, Variant, LatencyMs, PreprocessMs, InferenceMs);
    }

    /// <summary>Sets the classification; called by the inspector.</summary>
    internal void SetClassification(int label, double defectScore, bool defective, int defectType, ReadOnlySpan<float> probabilities)
    {
        Label = label;
        ExactDefectScore = defectScore;
        DefectScore = Math.Round(defectScore, 6);
        Defective = defective;
        DefectType = defectType;
        for (var k = 0; k < _probabilities.Length; k++)
        {
            _probabilities[k] = Math.Round((double)probabilities[k], 6);
        }
    }

    /// <summary>Sets the frame's box and clears the regions; called by the inspector.</summary>
    internal void SetBox(PixelBox box)
    {
        Box = box;
        _regionCount = 0;
    }

    /// <summary>Appends a region (ignored beyond the capacity given at construction); called by the inspector.</summary>
    internal void AddRegion(RegionVerdict region)
    {
        if (_regionCount < _regions.Length)
        {
            _regions[_regionCount++] = region;
        }
    }

    /// <summary>Sets the timings; called by the inspector.</summary>
    internal void SetTimings(double preprocessMs, double inferenceMs)
    {
        PreprocessMs = Math.Round(preprocessMs, 3);
        InferenceMs = Math.Round(inferenceMs, 3);
        LatencyMs = Math.Round(preprocessMs + inferenceMs, 3);
    }
}

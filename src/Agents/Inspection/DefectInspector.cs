using System.Diagnostics;
using System.Numerics.Tensors;
using EdgeAI.Inference;
using EdgeAI.Vision;

namespace EdgeAI.Agents.Inspection;

/// <summary>
/// Runs the defect model on decoded frames: preprocessing from the manifest, softmax over the logits,
/// the loaded variant's <c>defect</c> threshold (<see cref="EdgeModel.Thresholds"/>) or the line's own, and boxes from the class activation maps. One instance per
/// thread (it owns a <see cref="ModelRunner"/>); the model may be shared.
/// </summary>
/// <remarks>
/// Regions of a defective frame: the most likely defect class, and every other defect class whose probability
/// is at least <c>regionMinProbability</c>, each contribute the 8-connected groups of cells at or above half of
/// their own map's range (<see cref="HeatmapRegions"/>); all are ordered by peak heat, then probability, and
/// the first <c>maxRegions</c> are kept. Cell (i, j) of an h x w map covers source rows
/// [i, i+1) * H / h and columns [j, j+1) * W / w (the model sees the whole image resized to its input).
/// </remarks>
internal sealed class DefectInspector : IDisposable
{
    private readonly EdgeModel _model;
    private readonly ModelRunner _runner;
    private readonly ImagePreprocessor _preprocessor;
    private readonly HeatmapRegions _regions;
    private readonly CellRegion[] _cells;
    private readonly List<(int Class, CellRegion Cells)> _found;
    private readonly string[] _labels;
    private readonly double _threshold;
    private readonly double _regionMinProbability;
    private readonly int _maxRegions;
    private readonly int _logitsIndex;
    private readonly int _camIndex;
    private readonly int _camHeight;
    private readonly int _camWidth;
    private readonly int _okIndex;
    private readonly float[] _probabilities;
    private readonly InspectionVerdict _verdict;
    private readonly Comparison<(int Class, CellRegion Cells)> _byPeakThenScore;

    /// <param name="model">The loaded defect model.</param>
    /// <param name="regionMinProbability">Other defect classes get regions at this probability or more.</param>
    /// <param name="maxRegions">Most regions reported per frame.</param>
    /// <param name="threshold">The line's own reject threshold (0-1, see <see cref="RejectThreshold"/>); null: the loaded variant's.</param>
    /// <exception cref="ModelFormatException">The manifest lacks an <c>ok</c> label, a defect threshold or the <c>cam</c> output.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threshold"/> is outside 0..1.</exception>
    public DefectInspector(EdgeModel model, double regionMinProbability = 0.25, int maxRegions = 8, double? threshold = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxRegions);
        if (threshold is { } t && !(t is >= 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), t, "The defect threshold must be between 0 and 1.");
        }

        _model = model;
        _regionMinProbability = regionMinProbability;
        _maxRegions = maxRegions;
        var manifest = model.Manifest;
        var manifestPath = Path.Combine(model.Directory, ModelManifest.FileName);
        _labels = manifest.Labels;
        _okIndex = Array.IndexOf(_labels, "ok");
        _probabilities = new float[_labels.Length];
        if (_okIndex < 0 || _labels.Length < 2)
        {
            throw new ModelFormatException($"Model manifest '{manifestPath}': labels must include 'ok' and at least one defect class for inspection.", manifestPath);
        }

        // The line's own threshold when given; else the loaded variant's: a pruned or int8 variant may carry its own, picked on
        // its own scores.
        if (threshold is { } own)
        {
            _threshold = own;
        }
        else if (!model.Thresholds.TryGetValue("defect", out _threshold))
        {
            throw new ModelFormatException($"Model manifest '{manifestPath}': thresholds.defect is missing; inspection needs the defect-score threshold.", manifestPath);
        }

        _preprocessor = new ImagePreprocessor(ImagePreprocessorOptions.FromSpec(manifest.Preprocessing, manifestPath));
        _runner = model.CreateRunner();
        _logitsIndex = _runner.OutputIndex("logits");
        _camIndex = _runner.OutputIndex("cam");
        if (_logitsIndex < 0 || _camIndex < 0 || _runner.OutputShape(_camIndex).Length != 4)
        {
            throw new ModelFormatException($"Model manifest '{manifestPath}': outputs 'logits' [N, classes] and 'cam' [N, classes, h, w] are needed for defect inspection.", manifestPath);
        }

        _camHeight = (int)_runner.OutputShape(_camIndex)[2];
        _camWidth = (int)_runner.OutputShape(_camIndex)[3];
        _regions = new HeatmapRegions(_camWidth, _camHeight);
        _cells = new CellRegion[_regions.MaxRegions];
        _found = new(_cells.Length * _labels.Length);
        _verdict = new InspectionVerdict(_labels, _threshold, model.Variant.Name, maxRegions);
        _byPeakThenScore = CompareByPeakThenScore;
    }

    /// <summary>Width and height of the heatmap grid.</summary>
    public (int Width, int Height) HeatmapSize => (_camWidth, _camHeight);

    /// <summary>The loaded model.</summary>
    public EdgeModel Model => _model;

    /// <summary>
    /// Inspects one frame; <paramref name="heatmap"/> (w*h) receives the most likely defect class's map scaled to [0, 1].
    /// Allocates nothing after the first frame of a given size.
    /// </summary>
    /// <returns>The inspector's own verdict, overwritten by the next call (copy it with <see cref="InspectionVerdict.ToInspection"/> to keep it).</returns>
    public InspectionVerdict Inspect(Frame frame, Span<float> heatmap)
    {
        var start = Stopwatch.GetTimestamp();
        _preprocessor.Process(frame, _runner.Input<float>(0));
        var preprocessed = Stopwatch.GetTimestamp();
        _runner.Run();
        var inferred = Stopwatch.GetTimestamp();

        var probabilities = _probabilities;
        TensorPrimitives.SoftMax(_runner.Output<float>(_logitsIndex), probabilities);
        var best = TensorPrimitives.IndexOfMax(probabilities);
        var bestDefect = _okIndex == 0 ? 1 : 0;
        for (var k = 0; k < probabilities.Length; k++)
        {
            if (k != _okIndex && probabilities[k] > probabilities[bestDefect])
            {
                bestDefect = k;
            }
        }

        var score = 1 - probabilities[_okIndex];
        var defective = score > _threshold;
        var verdict = _verdict;
        verdict.SetClassification(best, score, defective, bestDefect, probabilities);
        HeatmapRegions.Scale(Map(bestDefect), heatmap);
        verdict.SetBox(Union(_regions.Find(Map(bestDefect), _cells), frame.Width, frame.Height));
        if (defective)
        {
            AddRegions(verdict, bestDefect, frame.Width, frame.Height);
        }

        verdict.SetTimings(Stopwatch.GetElapsedTime(start, preprocessed).TotalMilliseconds, Stopwatch.GetElapsedTime(preprocessed, inferred).TotalMilliseconds);
        return verdict;
    }

    public void Dispose() => _runner.Dispose();

    private ReadOnlySpan<float> Map(int label) =>
        _runner.Output<float>(_camIndex).Slice(label * _camWidth * _camHeight, _camWidth * _camHeight);

    private void AddRegions(InspectionVerdict verdict, int bestDefect, int width, int height)
    {
        _found.Clear();
        for (var k = 0; k < _labels.Length; k++)
        {
            if (k == _okIndex || (k != bestDefect && _probabilities[k] < _regionMinProbability))
            {
                continue;
            }

            var count = _regions.Find(Map(k), _cells);
            for (var r = 0; r < count; r++)
            {
                _found.Add((k, _cells[r]));
            }
        }

        _found.Sort(_byPeakThenScore);
        var kept = Math.Min(_found.Count, _maxRegions);
        for (var i = 0; i < kept; i++)
        {
            var (k, cells) = _found[i];
            verdict.AddRegion(new RegionVerdict(k, Math.Round((double)_probabilities[k], 6), Math.Round((double)cells.Peak, 4),
                ToPixels(cells.Column, cells.Row, cells.Column + cells.Columns, cells.Row + cells.Rows, width, height)));
        }
    }

    private int CompareByPeakThenScore((int Class, CellRegion Cells) a, (int Class, CellRegion Cells) b)
    {
        var byPeak = b.Cells.Peak.CompareTo(a.Cells.Peak);
        return byPeak != 0 ? byPeak : _probabilities[b.Class].CompareTo(_probabilities[a.Class]);
    }

    // The bounding box of every hot cell: the union of the map's regions.
    private PixelBox Union(int count, int width, int height)
    {
        if (count == 0)
        {
            return default;
        }

        int left = _camWidth, top = _camHeight, right = 0, bottom = 0;
        foreach (var c in _cells.AsSpan(0, count))
        {
            left = Math.Min(left, c.Column);
            top = Math.Min(top, c.Row);
            right = Math.Max(right, c.Column + c.Columns);
            bottom = Math.Max(bottom, c.Row + c.Rows);
        }

        return ToPixels(left, top, right, bottom, width, height);
    }

    // Cells [left, right) x [top, bottom) as a box in source pixels.
    private PixelBox ToPixels(int left, int top, int right, int bottom, int width, int height)
    {
        var x0 = left * width / _camWidth;
        var y0 = top * height / _camHeight;
        var x1 = right * width / _camWidth;
        var y1 = bottom * height / _camHeight;
        return new PixelBox(x0, y0, x1 - x0, y1 - y0);
    }
}

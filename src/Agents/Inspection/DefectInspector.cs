using System.Diagnostics;
using EdgeAI.Inference;
using EdgeAI.Vision;

namespace EdgeAI.Agents.Inspection;

/// <summary>
/// Runs the defect model on decoded frames: preprocessing from the manifest, softmax over the logits,
/// the manifest's <c>defect</c> threshold, and a box from the class activation map. One instance per
/// thread (it owns a <see cref="ModelRunner"/>); the model may be shared.
/// </summary>
internal sealed class DefectInspector : IDisposable
{
    private readonly EdgeModel _model;
    private readonly ModelRunner _runner;
    private readonly ImagePreprocessor _preprocessor;
    private readonly string[] _labels;
    private readonly double _threshold;
    private readonly int _camIndex;
    private readonly int _camHeight;
    private readonly int _camWidth;
    private readonly int _okIndex;
    private readonly float[] _probabilities;

    public DefectInspector(EdgeModel model)
    {
        _model = model;
        var manifest = model.Manifest;
        var manifestPath = Path.Combine(model.Directory, ModelManifest.FileName);
        _labels = manifest.Labels;
        _okIndex = Array.IndexOf(_labels, "ok");
        _probabilities = new float[_labels.Length];
        if (_okIndex < 0 || _labels.Length < 2)
        {
            throw new ModelFormatException($"Model manifest '{manifestPath}': labels must include 'ok' and at least one defect class for inspection.", manifestPath);
        }

        if (!manifest.Thresholds.TryGetValue("defect", out _threshold))
        {
            throw new ModelFormatException($"Model manifest '{manifestPath}': thresholds.defect is missing; inspection needs the defect-score threshold.", manifestPath);
        }

        _preprocessor = new ImagePreprocessor(ImagePreprocessorOptions.FromSpec(manifest.Preprocessing, manifestPath));
        _runner = model.CreateRunner();
        _camIndex = _runner.OutputIndex("cam");
        if (_camIndex < 0 || _runner.OutputShape(_camIndex).Length != 4)
        {
            throw new ModelFormatException($"Model manifest '{manifestPath}': an output 'cam' [N, classes, h, w] is needed for defect heatmaps.", manifestPath);
        }

        _camHeight = (int)_runner.OutputShape(_camIndex)[2];
        _camWidth = (int)_runner.OutputShape(_camIndex)[3];
    }

    /// <summary>Width and height of the heatmap grid.</summary>
    public (int Width, int Height) HeatmapSize => (_camWidth, _camHeight);

    /// <summary>Inspects one frame; <paramref name="heatmap"/> (w*h) receives the defect class's map scaled to [0, 1].</summary>
    public DefectInspection Inspect(Frame frame, Span<float> heatmap)
    {
        var sw = Stopwatch.StartNew();
        _preprocessor.Process(frame, _runner.Input<float>(0));
        _runner.Run();
        var latency = sw.Elapsed.TotalMilliseconds;

        var probabilities = _probabilities;
        System.Numerics.Tensors.TensorPrimitives.SoftMax(_runner.Output<float>("logits"), probabilities);
        var best = 0;
        var bestDefect = _okIndex == 0 ? 1 : 0;
        for (var k = 0; k < probabilities.Length; k++)
        {
            best = probabilities[k] > probabilities[best] ? k : best;
            if (k != _okIndex && probabilities[k] > probabilities[bestDefect])
            {
                bestDefect = k;
            }
        }

        var score = 1 - probabilities[_okIndex];
        var cells = _camWidth * _camHeight;
        var map = _runner.Output<float>(_camIndex).Slice(bestDefect * cells, cells);
        var box = Box(map, frame.Width, frame.Height, heatmap);
        return new DefectInspection(
            frame.SourceId,
            _labels[best],
            Math.Round(score, 6),
            score > _threshold,
            _labels[bestDefect],
            box,
            _labels.Select((l, i) => (l, Math.Round((double)probabilities[i], 6))).ToDictionary(p => p.l, p => p.Item2),
            _model.Variant.Name,
            Math.Round(latency, 3));
    }

    public void Dispose() => _runner.Dispose();

    // The map's cells at or above half its peak, as a box in source pixels. Cell (i, j) covers rows
    // [i, i+1) * H / h of the source (the model sees the whole image resized to its input).
    private int[] Box(ReadOnlySpan<float> map, int width, int height, Span<float> heatmap)
    {
        float min = float.MaxValue, max = float.MinValue;
        foreach (var v in map)
        {
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }

        var range = max - min;
        int top = _camHeight, left = _camWidth, bottom = -1, right = -1;
        for (var i = 0; i < _camHeight; i++)
        {
            for (var j = 0; j < _camWidth; j++)
            {
                var normalized = range > 0 ? (map[(i * _camWidth) + j] - min) / range : 0f;
                heatmap[(i * _camWidth) + j] = normalized;
                if (normalized >= 0.5f)
                {
                    top = Math.Min(top, i);
                    bottom = Math.Max(bottom, i);
                    left = Math.Min(left, j);
                    right = Math.Max(right, j);
                }
            }
        }

        if (bottom < 0)
        {
            return [0, 0, 0, 0];
        }

        var x0 = left * width / _camWidth;
        var y0 = top * height / _camHeight;
        var x1 = (right + 1) * width / _camWidth;
        var y1 = (bottom + 1) * height / _camHeight;
        return [x0, y0, x1 - x0, y1 - y0];
    }
}

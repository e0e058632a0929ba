using System.Diagnostics;
using System.Globalization;
using System.Text;
using EdgeAI.DefectData;
using EdgeAI.Inference;

namespace EdgeAI.DefectEval;

/// <summary>The result of an evaluation: a printable report, the metrics written to the manifest, and the defect-score
/// threshold that rejects <see cref="Evaluator.FalseRejectTarget"/> of the evaluated split's good parts.</summary>
internal sealed record EvaluationReport(string Text, Dictionary<string, double> Metrics, double ThresholdAtTargetFalseRejects);

/// <summary>
/// Regenerates the seeded held-out test split and measures the committed ONNX model on it with ONNX
/// Runtime through <see cref="EdgeModel"/>, exactly as a device would load it (hash-checked).
/// </summary>
internal static class Evaluator
{
    /// <summary>The false-reject rate the manifest's thresholds are picked at (on the validation split).</summary>
    public const double FalseRejectTarget = 0.02;

    private const int Batch = 50;

    /// <summary>Good pictures per surface a line's own threshold is taught from (a few minutes of a line's production).</summary>
    public const int TeachInPictures = 200;

    /// <summary>The pointing game's 15 px at 224 px, scaled to 64 px.</summary>
    private const double PointingTolerance = 4;

    public static EvaluationReport Run(string modelDirectory, string variant, DefectDataset dataset, int count, string? camPreview = null, SurfaceSplit split = SurfaceSplit.Test)
    {
        var previewSamples = new List<DefectSample>();
        var previewMaps = new List<float[]>();
        using var model = EdgeModel.Load(modelDirectory, new EdgeModelOptions { Variant = variant });
        var m = model.Manifest;
        var pre = m.Preprocessing ?? throw new InvalidOperationException("Manifest has no preprocessing.");
        var mean = pre.Mean ?? throw new InvalidOperationException("Manifest preprocessing has no mean.");
        var std = pre.Std ?? throw new InvalidOperationException("Manifest preprocessing has no std.");
        var threshold = model.Thresholds["defect"];
        var size = DefectDataset.ImageSize;
        var classes = m.Labels.Length;
        var camSpec = m.Outputs.Single(o => o.Name == "cam");
        var camSide = (int)camSpec.Shape[2];

        var shapes = new Dictionary<string, long[]>
        {
            ["image"] = [Batch, 3, size, size],
            ["logits"] = [Batch, classes],
            ["cam"] = [Batch, classes, camSide, camSide],
        };
        using var runner = model.CreateRunner(shapes);
        var scores = new double[count];
        var positive = new bool[count];
        var truth = new int[count];
        var predicted = new int[count];
        var surfaces = new string[count];
        var visibility = new double[count];
        long hits = 0, defects = 0, hitsTrueClass = 0, hitsTight = 0;
        var classHits = new long[classes];
        var classCount = new long[classes];
        var offsetsX = new List<double>();
        var offsetsY = new List<double>();
        var sw = Stopwatch.StartNew();
        var batch = new DefectSample[Batch];
        for (var start = 0; start < count; start += Batch)
        {
            var n = Math.Min(Batch, count - start);
            RunBatch(runner, batch, n, i => dataset.Generate(split, start + i), mean, std);
            var logits = runner.Output<float>("logits");
            var cam = runner.Output<float>("cam");
            for (var i = 0; i < n; i++)
            {
                var row = logits.Slice(i * classes, classes);
                var p = Softmax(row);
                var k = start + i;
                scores[k] = 1 - p[0];
                truth[k] = (int)batch[i].Label;
                positive[k] = batch[i].Label != DefectKind.Ok;
                surfaces[k] = batch[i].Surface;
                // At 3 decimals: a defect the painter raised to the minimum visibility (2) measures 2 less float rounding and
                // belongs with 2 in the bins below, not in the one under it.
                visibility[k] = Math.Round(batch[i].Visibility.Ratio, 3);
                predicted[k] = DetectionMetrics.ArgMax(row);
                if (positive[k])
                {
                    // The heatmap a device would show: the most likely defect class's map.
                    var defectClass = 1 + DetectionMetrics.ArgMax(row[1..]);
                    var plane = camSide * camSide;
                    var camRow = cam.Slice(((i * classes) + defectClass) * plane, plane);
                    var camTrue = cam.Slice(((i * classes) + truth[k]) * plane, plane);
                    defects++;
                    var hit = DetectionMetrics.PointingHit(camRow, camSide, batch[i].Mask, size, PointingTolerance);
                    hits += hit ? 1 : 0;
                    classHits[truth[k]] += hit ? 1 : 0;
                    classCount[truth[k]]++;
                    var (dx, dy) = PeakOffset(camRow, camSide, batch[i].Mask, size);
                    offsetsX.Add(dx);
                    offsetsY.Add(dy);
                    hitsTight += DetectionMetrics.PointingHit(camRow, camSide, batch[i].Mask, size, 2) ? 1 : 0;
                    hitsTrueClass += DetectionMetrics.PointingHit(camTrue, camSide, batch[i].Mask, size, PointingTolerance) ? 1 : 0;
                    if (camPreview is not null && previewSamples.Count < 24)
                    {
                        previewSamples.Add(batch[i]);
                        previewMaps.Add(camRow.ToArray());
                    }
                }
            }
        }

        // A line's commissioning: each surface's own threshold, taught from further good pictures of it that no evaluated sample
        // shares (what `edgeai calibrate-threshold` does on a device), then applied to that surface's evaluated samples.
        var taught = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var source in dataset.SourcesOf(split))
        {
            var good = new double[TeachInPictures];
            for (var start = 0; start < good.Length; start += Batch)
            {
                var n = Math.Min(Batch, good.Length - start);
                var first = start;
                RunBatch(runner, batch, n, i => dataset.GenerateGoodPart(source, split, first + i), mean, std);
                var logits = runner.Output<float>("logits");
                for (var i = 0; i < n; i++)
                {
                    good[start + i] = 1 - Softmax(logits.Slice(i * classes, classes))[0];
                }
            }

            taught[source.Name] = DetectionMetrics.ThresholdForFalseRejectRate(good, FalseRejectTarget);
        }

        var evalSeconds = sw.Elapsed.TotalSeconds;
        if (camPreview is not null && previewSamples.Count > 0)
        {
            Directory.CreateDirectory(camPreview);
            File.WriteAllBytes(Path.Combine(camPreview, $"test-cam-{variant}.png"), Preview.CamGrid(previewSamples, previewMaps, camSide, 8));
        }
        var okScores = scores.Where((_, i) => !positive[i]).ToArray();
        var defectScores = scores.Where((_, i) => positive[i]).ToArray();
        var auc = DetectionMetrics.RocAuc(scores, positive);
        var frrAtThreshold = DetectionMetrics.FractionAbove(okScores, threshold);
        var recallAtThreshold = DetectionMetrics.FractionAbove(defectScores, threshold);
        var oracle = DetectionMetrics.ThresholdForFalseRejectRate(okScores, FalseRejectTarget);
        var recallAtOracle = DetectionMetrics.FractionAbove(defectScores, oracle);
        var f1 = DetectionMetrics.F1(scores, positive, threshold);
        var confusion = DetectionMetrics.Confusion(truth, predicted, classes);
        var accuracy = Enumerable.Range(0, classes).Sum(c => confusion[c, c]) / (double)count;
        var macroF1 = DetectionMetrics.MacroF1(confusion);
        var pointing = (double)hits / defects;
        var pointingTrue = (double)hitsTrueClass / defects;
        var latency = MeasureLatency(model, size, classes, camSide);
        var bytes = new FileInfo(model.ModelPath).Length;

        var t = new StringBuilder();
        var ci = CultureInfo.InvariantCulture;
        t.AppendLine(ci, $"model {m.Name} {m.Version} variant {model.Variant.Name}: {model.ModelPath} ({bytes} bytes, sha256 {model.Variant.Sha256})");
        t.AppendLine(ci, $"{split.ToString().ToLowerInvariant()} split: {count} samples from held-out surfaces ({okScores.Length} ok, {defectScores.Length} defective), data set seed {dataset.Seed}, fingerprint {dataset.Fingerprint}, minimum defect visibility {dataset.MinVisibility}");
        t.AppendLine(ci, $"  surfaces: {string.Join(' ', dataset.SourcesOf(split).Select(s => s.Name))}");
        t.AppendLine(ci, $"defect vs ok (score = 1 - p(ok)):");
        t.AppendLine(ci, $"  ROC-AUC                               {auc:F4}");
        t.AppendLine(ci, $"  threshold of variant {model.Variant.Name} (2% FRR on validation) {threshold:F6}: recall {recallAtThreshold:F4}, false rejects {frrAtThreshold:F4}, F1 {f1:F4}");
        t.AppendLine(ci, $"  recall at 2% false rejects (threshold set on this split, {oracle:F6}): {recallAtOracle:F4}");
        t.AppendLine(ci, $"6-class: accuracy {accuracy:F4}, macro F1 {macroF1:F4}");
        t.AppendLine(ci, $"  confusion matrix (rows true, columns predicted): {string.Join(' ', m.Labels)}");
        for (var r = 0; r < classes; r++)
        {
            t.Append(ci, $"  {m.Labels[r],-8}");
            for (var c = 0; c < classes; c++)
            {
                t.Append(ci, $" {confusion[r, c],6}");
            }

            t.AppendLine();
        }

        // Where the misses are: one held-out surface that the model reads badly shows here, not in the averages.
        t.AppendLine(ci, $"by surface, at the variant's threshold (ok: false rejects / ok samples; defective: recall = caught / defective):");
        foreach (var group in Enumerable.Range(0, count).GroupBy(i => surfaces[i]).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var ok = group.Count(i => !positive[i]);
            var rejected = group.Count(i => !positive[i] && scores[i] > threshold);
            var bad = group.Count(i => positive[i]);
            var caught = group.Count(i => positive[i] && scores[i] > threshold);
            t.AppendLine(ci, $"  {group.Key,-22} ok {rejected,3} / {ok,3}   defective {caught,3} / {bad,3} = {(double)caught / Math.Max(bad, 1):F3}");
        }

        // How visible the missed defects were: a defect that changes pixels less than its surface varies around it is hard to
        // see for anyone, and a recall target means something different on such samples.
        t.AppendLine(ci, $"by defect visibility (painted contrast / mean absolute deviation of the unpainted surface within {DefectVisibility.Margin} px of the defect), at the variant's threshold:");
        // 1.5-2 holds the raised defects that clipping at 0 or 1 kept under the minimum visibility.
        double[] edges = [0, 0.5, 1, 1.5, 2, 4, double.PositiveInfinity];
        for (var b = 0; b + 1 < edges.Length; b++)
        {
            var (lo, hi) = (edges[b], edges[b + 1]);
            var bin = Enumerable.Range(0, count).Where(i => positive[i] && visibility[i] >= lo && visibility[i] < hi).ToArray();
            var caught = bin.Count(i => scores[i] > threshold);
            var name = double.IsPositiveInfinity(hi) ? $">= {lo:0.#}" : $"{lo:0.#} - {hi:0.#}";
            t.AppendLine(ci, $"  {name,-10} defective {caught,4} / {bin.Length,4} = {(double)caught / Math.Max(bin.Length, 1):F3}");
        }

        // The same samples with each surface's taught threshold: how a commissioned line would do on surfaces the model never saw.
        t.AppendLine(ci, $"each surface's own threshold, taught at 2% false rejects from {TeachInPictures} further good pictures of it (edgeai calibrate-threshold):");
        var taughtOk = Enumerable.Range(0, count).Where(i => !positive[i]).ToArray();
        var taughtBad = Enumerable.Range(0, count).Where(i => positive[i]).ToArray();
        var taughtFrr = taughtOk.Count(i => scores[i] > taught[surfaces[i]]) / (double)Math.Max(taughtOk.Length, 1);
        var taughtRecall = taughtBad.Count(i => scores[i] > taught[surfaces[i]]) / (double)Math.Max(taughtBad.Length, 1);
        t.AppendLine(ci, $"  recall {taughtRecall:F4}, false rejects {taughtFrr:F4} (all surfaces)");
        foreach (var group in Enumerable.Range(0, count).GroupBy(i => surfaces[i]).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var own = taught[group.Key];
            var ok = group.Count(i => !positive[i]);
            var rejected = group.Count(i => !positive[i] && scores[i] > own);
            var bad = group.Count(i => positive[i]);
            var caught = group.Count(i => positive[i] && scores[i] > own);
            t.AppendLine(ci, $"  {group.Key,-22} threshold {own:F6}   ok {rejected,3} / {ok,3}   defective {caught,3} / {bad,3} = {(double)caught / Math.Max(bad, 1):F3}");
        }

        t.AppendLine(ci, $"localization (pointing game: CAM peak, at its cell's centre, within {PointingTolerance} px of a defect-mask pixel):");
        t.AppendLine(ci, $"  map of the predicted defect class {pointing:F4} (within 2 px: {(double)hitsTight / defects:F4}); map of the true class {pointingTrue:F4} ({defects} defective samples)");
        t.AppendLine(ci, $"  by true class: {string.Join(", ", Enumerable.Range(1, classes - 1).Select(c => $"{m.Labels[c]} {(double)classHits[c] / Math.Max(classCount[c], 1):F3}"))}");
        offsetsX.Sort();
        offsetsY.Sort();
        t.AppendLine(ci, $"  median offset of the peak from the mask centroid (geometry check, ~0 expected): x {offsetsX[offsetsX.Count / 2]:F2} px, y {offsetsY[offsetsY.Count / 2]:F2} px");
        t.AppendLine(ci, $"latency (batch 1, 1 intra-op thread, this machine): p50 {latency.P50:F3} ms, p90 {latency.P90:F3} ms; evaluation took {evalSeconds:F1} s");

        var metrics = new Dictionary<string, double>
        {
            ["testRocAuc"] = Math.Round(auc, 5),
            ["testRecallAtThreshold"] = Math.Round(recallAtThreshold, 5),
            ["testFalseRejectRateAtThreshold"] = Math.Round(frrAtThreshold, 5),
            ["testRecallAt2pctFalseRejects"] = Math.Round(recallAtOracle, 5),
            ["testF1AtThreshold"] = Math.Round(f1, 5),
            ["testAccuracy6Class"] = Math.Round(accuracy, 5),
            ["testMacroF1"] = Math.Round(macroF1, 5),
            ["testPointingGame"] = Math.Round(pointing, 5),
            ["testRecallTaughtThresholds"] = Math.Round(taughtRecall, 5),
            ["testFalseRejectRateTaughtThresholds"] = Math.Round(taughtFrr, 5),
            ["testSamples"] = count,
            ["latencyMsP50Batch1X64"] = Math.Round(latency.P50, 4),
        };
        return new EvaluationReport(t.ToString(), metrics, oracle);
    }

    /// <summary>Generates samples 0..n-1 of a batch (in parallel), writes them into the runner's input and runs it.</summary>
    private static void RunBatch(ModelRunner runner, DefectSample[] batch, int n, Func<int, DefectSample> generate, float[] mean, float[] std)
    {
        const int size = DefectDataset.ImageSize;
        Parallel.For(0, n, i => batch[i] = generate(i));
        var input = runner.Input<float>("image");
        input.Clear();
        for (var i = 0; i < n; i++)
        {
            batch[i].WriteChw(input.Slice(i * 3 * size * size, 3 * size * size), mean, std);
        }

        runner.Run();
    }

    private static (double P50, double P90) MeasureLatency(EdgeModel model, int size, int classes, int camSide)
    {
        var shapes = new Dictionary<string, long[]>
        {
            ["image"] = [1, 3, size, size],
            ["logits"] = [1, classes],
            ["cam"] = [1, classes, camSide, camSide],
        };
        using var runner = model.CreateRunner(shapes);
        runner.Input<float>("image").Fill(0.1f);
        for (var i = 0; i < 20; i++)
        {
            runner.Run();
        }

        var times = new double[200];
        for (var i = 0; i < times.Length; i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            runner.Run();
            times[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }

        Array.Sort(times);
        return (times[times.Length / 2], times[(int)(times.Length * 0.9)]);
    }

    private static (double Dx, double Dy) PeakOffset(ReadOnlySpan<float> map, int side, byte[] mask, int size)
    {
        var best = DetectionMetrics.ArgMax(map);
        double sx = 0, sy = 0, n = 0;
        for (var i = 0; i < mask.Length; i++)
        {
            if (mask[i] != 0)
            {
                sx += i % size;
                sy += i / size;
                n++;
            }
        }

        var stride = size / side;
        return (DetectionMetrics.CellCentre(best % side, stride) - (sx / n), DetectionMetrics.CellCentre(best / side, stride) - (sy / n));
    }

    private static double[] Softmax(ReadOnlySpan<float> logits)
    {
        var max = double.NegativeInfinity;
        foreach (var l in logits)
        {
            max = Math.Max(max, l);
        }

        var p = new double[logits.Length];
        double sum = 0;
        for (var i = 0; i < p.Length; i++)
        {
            p[i] = Math.Exp(logits[i] - max);
            sum += p[i];
        }

        for (var i = 0; i < p.Length; i++)
        {
            p[i] /= sum;
        }

        return p;
    }
}

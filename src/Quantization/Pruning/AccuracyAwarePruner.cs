using EdgeAI.Quantization.Calibration;
using EdgeAI.Quantization.Evaluation;
using EdgeAI.Quantization.Onnx;

namespace EdgeAI.Quantization.Pruning;

/// <summary>
/// Structured pruning within an accuracy budget. Each prunable layer is first pruned alone at
/// <see cref="AccuracyAwarePruningOptions.ProbeRatio"/> and the agreement of the model's outputs with fp32 measured
/// (its sensitivity). Then, in rounds, every layer that still can, least sensitive first, tries one more
/// <see cref="AccuracyAwarePruningOptions.Step"/> of pruning; a step that breaks the budget is undone and that
/// layer stops. Insensitive layers so end up pruned most. Agreement is measured in ONNX Runtime on the evaluation
/// samples; the final model is also timed against fp32, interleaved in one process.
/// </summary>
public static class AccuracyAwarePruner
{
    /// <summary>Prunes a copy of <paramref name="model"/> as far as the budget allows.</summary>
    /// <param name="model">The fp32 model (BatchNormalization folded, see <see cref="ChannelPruner"/>); not changed.</param>
    /// <param name="samples">Evaluation inputs; a held-out set measures generalization better than the training set.</param>
    /// <param name="options">Budget and search settings.</param>
    /// <param name="cancellationToken">Checked between evaluations.</param>
    /// <exception cref="ArgumentException">Options invalid, no samples, a budget output that does not exist, or a top-1 budget with no classifier-shaped output.</exception>
    /// <exception cref="OnnxFormatException">The model is not valid.</exception>
    public static AccuracyAwarePruningResult Prune(
        OnnxModel model,
        IReadOnlyList<IReadOnlyDictionary<string, NpyArray>> samples,
        AccuracyAwarePruningOptions options,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (samples.Count == 0)
        {
            throw new ArgumentException("At least one evaluation sample is needed to measure accuracy.", nameof(samples));
        }

        var outputs = model.Graph.Outputs.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var name in options.BudgetOutputs.Where(n => !outputs.Contains(n)))
        {
            throw new ArgumentException($"Budget output '{name}' is not a graph output; expected one of {string.Join(", ", outputs)}.", nameof(options));
        }

        var fp32 = model.ToSelfContainedBytes();
        var layers = ChannelPruner.FindLayers(model, options.Pruning.ExcludedNodes).Where(l => l.CanPrune).ToList();
        var evaluations = 0;
        (double Cosine, double? Top1, bool Met) Evaluate(IReadOnlyDictionary<string, double> ratios)
        {
            cancellationToken.ThrowIfCancellationRequested();
            evaluations++;
            var candidate = PruneAt(model, options.Pruning, ratios, null).Model.ToSelfContainedBytes();
            var comparison = ModelComparer.Compare(fp32, candidate, samples, new ModelComparisonOptions { TimingRepeats = 0, IntraOpThreads = options.Comparison.IntraOpThreads }, cancellationToken);
            return Score(comparison, options);
        }

        var sensitivities = layers
            .Select(l =>
            {
                var (cosine, top1, _) = Evaluate(new Dictionary<string, double> { [l.Name] = options.ProbeRatio });
                return new PruningSensitivity(l.Name, options.ProbeRatio, cosine, top1);
            })
            .OrderByDescending(s => s.MinCosine).ThenByDescending(s => s.Top1Agreement ?? 0).ToList();

        var current = layers.ToDictionary(l => l.Name, _ => 0.0, StringComparer.Ordinal);
        var active = sensitivities.Select(s => layers.First(l => l.Name == s.Layer)).ToList();
        while (active.Count > 0)
        {
            foreach (var layer in active.ToList())
            {
                var next = Math.Round(current[layer.Name] + options.Step, 6);
                if (next > options.MaxRatio + 1e-9)
                {
                    active.Remove(layer);
                    continue;
                }

                var trial = new Dictionary<string, double>(current, StringComparer.Ordinal) { [layer.Name] = next };
                // A step too small to remove another channel of a narrow layer changes nothing: take it without measuring.
                if (options.Pruning.Kept(layer.Channels, next) == options.Pruning.Kept(layer.Channels, current[layer.Name]) || Evaluate(trial).Met)
                {
                    current = trial;
                }
                else
                {
                    active.Remove(layer);
                }
            }
        }

        var sample = samples[0];
        var result = PruneAt(model, options.Pruning, current, sample);
        var final = ModelComparer.Compare(fp32, result.Model.ToSelfContainedBytes(), samples, options.Comparison, cancellationToken);
        return new AccuracyAwarePruningResult(result, sensitivities, current, final, Score(final, options).Met, evaluations);
    }

    /// <summary>Worst cosine and top-1 agreement over the budget outputs, and whether they meet the budget.</summary>
    internal static (double Cosine, double? Top1, bool Met) Score(ModelComparison comparison, AccuracyAwarePruningOptions options)
    {
        var measured = comparison.Outputs.Where(o => options.BudgetOutputs.Count == 0 || options.BudgetOutputs.Contains(o.Name)).ToList();
        var cosine = measured.Min(o => o.MinCosine);
        var top1Values = measured.Where(o => o.Top1Agreement is not null).Select(o => o.Top1Agreement!.Value).ToList();
        double? top1 = top1Values.Count > 0 ? top1Values.Min() : null;
        if (options.MinTop1 is not null && top1 is null)
        {
            throw new ArgumentException($"A top-1 budget needs a classifier-shaped output (two or more classes on the last axis); outputs measured: {string.Join(", ", measured.Select(o => o.Name))}.", nameof(options));
        }

        var met = (options.MinCosine is not { } c || cosine >= c) && (options.MinTop1 is not { } t || top1 >= t);
        return (cosine, top1, met);
    }

    private static PruningResult PruneAt(OnnxModel model, PruningOptions settings, IReadOnlyDictionary<string, double> ratios, IReadOnlyDictionary<string, NpyArray>? sample)
    {
        var options = new PruningOptions { Criterion = settings.Criterion, MinChannels = settings.MinChannels, ChannelMultiple = settings.ChannelMultiple };
        options.ExcludedNodes.UnionWith(settings.ExcludedNodes);
        foreach (var (layer, ratio) in ratios)
        {
            options.LayerRatios[layer] = ratio;
        }

        return ChannelPruner.Prune(model, options, sample);
    }
}

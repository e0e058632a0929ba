using EdgeAI.Quantization.Evaluation;

namespace EdgeAI.Quantization.Pruning;

/// <summary>Settings of <see cref="AccuracyAwarePruner"/>. Set at least one of <see cref="MinCosine"/> and <see cref="MinTop1"/>.</summary>
public sealed class AccuracyAwarePruningOptions
{
    /// <summary>Budget: the worst per-sample cosine similarity of the pruned outputs against fp32 must reach this, in (-1, 1].</summary>
    public double? MinCosine { get; set; }

    /// <summary>Budget: the top-1 agreement with fp32 (last axis as classes) must reach this fraction, in [0, 1].</summary>
    public double? MinTop1 { get; set; }

    /// <summary>Graph outputs the budget is measured on (default: every float output).</summary>
    public IList<string> BudgetOutputs { get; } = [];

    /// <summary>How much a layer's ratio grows per accepted step (default 0.125).</summary>
    public double Step { get; set; } = 0.125;

    /// <summary>Largest ratio any layer reaches (default 0.75), in (0, 1).</summary>
    public double MaxRatio { get; set; } = 0.75;

    /// <summary>Ratio at which each layer is pruned alone to measure its sensitivity (default 0.5), in (0, 1).</summary>
    public double ProbeRatio { get; set; } = 0.5;

    /// <summary>Ranking, exclusions, fewest channels and channel rounding. Leave its ratios unset: the search sets them.</summary>
    public PruningOptions Pruning { get; set; } = new();

    /// <summary>ONNX Runtime settings and timing repeats of the final fp32-vs-pruned comparison (the search itself does not time).</summary>
    public ModelComparisonOptions Comparison { get; set; } = new();

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentException">No budget, or a setting is out of range; the message names it.</exception>
    public void Validate()
    {
        if (MinCosine is null && MinTop1 is null)
        {
            throw new ArgumentException($"{nameof(AccuracyAwarePruningOptions)} needs a budget: set {nameof(MinCosine)} (e.g. 0.99) or {nameof(MinTop1)} (e.g. 0.98).", nameof(MinCosine));
        }

        if (MinCosine is { } cosine && !(cosine is > -1 and <= 1))
        {
            throw new ArgumentException($"{nameof(AccuracyAwarePruningOptions)}.{nameof(MinCosine)} is {cosine}; expected a cosine in (-1, 1], e.g. 0.99.", nameof(MinCosine));
        }

        if (MinTop1 is { } top1 && !(top1 is >= 0 and <= 1))
        {
            throw new ArgumentException($"{nameof(AccuracyAwarePruningOptions)}.{nameof(MinTop1)} is {top1}; expected a fraction in [0, 1], e.g. 0.98.", nameof(MinTop1));
        }

        Check(Step, nameof(Step));
        Check(MaxRatio, nameof(MaxRatio));
        Check(ProbeRatio, nameof(ProbeRatio));
        ArgumentNullException.ThrowIfNull(Pruning, nameof(Pruning));
        ArgumentNullException.ThrowIfNull(Comparison, nameof(Comparison));
        Pruning.Validate();
        if (Pruning.Ratio != 0 || Pruning.LayerRatios.Count > 0)
        {
            throw new ArgumentException($"{nameof(AccuracyAwarePruningOptions)}.{nameof(Pruning)} sets ratios; the search chooses them, so leave {nameof(PruningOptions.Ratio)} at 0 and {nameof(PruningOptions.LayerRatios)} empty.", nameof(Pruning));
        }

        Comparison.Validate();
    }

    private static void Check(double value, string name)
    {
        if (!(value is > 0 and < 1))
        {
            throw new ArgumentException($"{nameof(AccuracyAwarePruningOptions)}.{name} is {value}; expected a fraction in (0, 1).", name);
        }
    }
}

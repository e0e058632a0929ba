using EdgeAI.Quantization.Evaluation;

namespace EdgeAI.Quantization.Pruning;

/// <summary>The result of <see cref="AccuracyAwarePruner.Prune"/>.</summary>
public sealed class AccuracyAwarePruningResult
{
    internal AccuracyAwarePruningResult(PruningResult pruning, IReadOnlyList<PruningSensitivity> sensitivities, IReadOnlyDictionary<string, double> ratios, ModelComparison comparison, bool budgetMet, int evaluations)
    {
        Pruning = pruning;
        Sensitivities = sensitivities;
        Ratios = ratios;
        Comparison = comparison;
        BudgetMet = budgetMet;
        Evaluations = evaluations;
    }

    /// <summary>The pruned model and per-layer channels, parameters and MACs.</summary>
    public PruningResult Pruning { get; }

    /// <summary>Every prunable layer's sensitivity, least sensitive (pruned first) first.</summary>
    public IReadOnlyList<PruningSensitivity> Sensitivities { get; }

    /// <summary>The ratio the search settled on per layer.</summary>
    public IReadOnlyDictionary<string, double> Ratios { get; }

    /// <summary>Final pruned model against fp32 on the evaluation set: agreement per output, size and interleaved latency.</summary>
    public ModelComparison Comparison { get; }

    /// <summary>Whether the final model meets the budget (it always does unless even the unpruned model would not, e.g. a top-1 budget on an output that is not a classifier).</summary>
    public bool BudgetMet { get; }

    /// <summary>Candidate models evaluated during the search (sensitivities included).</summary>
    public int Evaluations { get; }
}

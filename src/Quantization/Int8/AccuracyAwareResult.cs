namespace EdgeAI.Quantization.Int8;

/// <summary>The result of <see cref="AccuracyAwareQuantizer.Quantize"/>.</summary>
public sealed class AccuracyAwareResult
{
    internal AccuracyAwareResult(QuantizationResult quantization, IReadOnlyList<LayerSensitivity> sensitivities, IReadOnlyList<string> keptFp32, double minCosine, bool budgetMet)
    {
        Quantization = quantization;
        Sensitivities = sensitivities;
        KeptFp32 = keptFp32;
        MinCosine = minCosine;
        BudgetMet = budgetMet;
    }

    /// <summary>The final quantized model and its node lists.</summary>
    public QuantizationResult Quantization { get; }

    /// <summary>Every quantizable node, most sensitive first.</summary>
    public IReadOnlyList<LayerSensitivity> Sensitivities { get; }

    /// <summary>Names of the nodes kept in fp32 to meet the budget, in the order they were kept.</summary>
    public IReadOnlyList<string> KeptFp32 { get; }

    /// <summary>The worst per-sample cosine of the final model's outputs against fp32.</summary>
    public double MinCosine { get; }

    /// <summary>Whether <see cref="MinCosine"/> reached the budget (false only when even keeping every node fp32 could not, i.e. nothing is quantized).</summary>
    public bool BudgetMet { get; }
}

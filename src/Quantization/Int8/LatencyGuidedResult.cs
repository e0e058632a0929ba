using EdgeAI.Quantization.Evaluation;

namespace EdgeAI.Quantization.Int8;

/// <summary>The result of <see cref="LatencyGuidedQuantizer.Quantize"/>.</summary>
public sealed class LatencyGuidedResult
{
    internal LatencyGuidedResult(QuantizationResult quantization, IReadOnlyList<LayerLatency> layers, double allInt8VsFp32, double finalVsFp32, double finalVsAllInt8, ModelComparison agreement)
    {
        Quantization = quantization;
        Layers = layers;
        AllInt8VsFp32 = allInt8VsFp32;
        FinalVsFp32 = finalVsFp32;
        FinalVsAllInt8 = finalVsAllInt8;
        MinCosine = agreement.MinCosine;
        MeanCosine = agreement.Outputs.Min(o => o.MeanCosine);
        Top1Agreement = agreement.Outputs.Select(o => o.Top1Agreement).Where(t => t.HasValue).Min();
    }

    /// <summary>The final quantized model and its node lists.</summary>
    public QuantizationResult Quantization { get; }

    /// <summary>Every candidate tried (groups first, then single layers, in graph order), with what was measured and decided.</summary>
    public IReadOnlyList<LayerLatency> Layers { get; }

    /// <summary>Labels of the nodes kept fp32 by the search, in the order they were reverted.</summary>
    public IReadOnlyList<string> RevertedFp32 => [.. Layers.Where(l => l.RevertedToFp32).SelectMany(l => l.Nodes).Distinct(StringComparer.Ordinal)];

    /// <summary>Median latency of the fully quantized model over the fp32 model's, measured side by side.</summary>
    public double AllInt8VsFp32 { get; }

    /// <summary>Median latency of the final model over the fp32 model's, measured side by side.</summary>
    public double FinalVsFp32 { get; }

    /// <summary>
    /// Median latency of the final model over the fully quantized model's, measured side by side at the end
    /// (exactly 1 when nothing was reverted, or when this measurement did not confirm the gain and the fully quantized model was returned).
    /// </summary>
    public double FinalVsAllInt8 { get; }

    /// <summary>The worst per-sample cosine of the final model's outputs against fp32 on the accuracy samples.</summary>
    public double MinCosine { get; }

    /// <summary>The final model's mean per-sample cosine against fp32 on the accuracy samples (the lowest over the outputs).</summary>
    public double MeanCosine { get; }

    /// <summary>The final model's top-1 agreement with fp32 on the accuracy samples (the lowest over the outputs that have one), or null.</summary>
    public double? Top1Agreement { get; }
}

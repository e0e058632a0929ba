namespace EdgeAI.Quantization.Int8;

/// <summary>The result of <see cref="LatencyGuidedQuantizer.Quantize"/>.</summary>
public sealed class LatencyGuidedResult
{
    internal LatencyGuidedResult(QuantizationResult quantization, IReadOnlyList<LayerLatency> layers, double allInt8VsFp32, double finalVsFp32, double finalVsAllInt8, double minCosine)
    {
        Quantization = quantization;
        Layers = layers;
        AllInt8VsFp32 = allInt8VsFp32;
        FinalVsFp32 = finalVsFp32;
        FinalVsAllInt8 = finalVsAllInt8;
        MinCosine = minCosine;
    }

    /// <summary>The final quantized model and its node lists.</summary>
    public QuantizationResult Quantization { get; }

    /// <summary>Every layer tried, in graph order, with what was measured and decided.</summary>
    public IReadOnlyList<LayerLatency> Layers { get; }

    /// <summary>Names of the layers reverted to fp32, in the order they were reverted.</summary>
    public IReadOnlyList<string> RevertedFp32 => [.. Layers.Where(l => l.RevertedToFp32).Select(l => l.Node)];

    /// <summary>Median latency of the fully quantized model over the fp32 model's, measured side by side.</summary>
    public double AllInt8VsFp32 { get; }

    /// <summary>Median latency of the final model over the fp32 model's, measured side by side.</summary>
    public double FinalVsFp32 { get; }

    /// <summary>
    /// Median latency of the final model over the fully quantized model's, measured side by side at the end
    /// (exactly 1 when nothing was reverted, or when this measurement did not confirm the gain and the fully quantized model was returned).
    /// </summary>
    public double FinalVsAllInt8 { get; }

    /// <summary>The worst per-sample cosine of the final model's outputs against fp32.</summary>
    public double MinCosine { get; }
}

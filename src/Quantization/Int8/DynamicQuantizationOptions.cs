namespace EdgeAI.Quantization.Int8;

/// <summary>Settings of <see cref="DynamicQuantizer"/>.</summary>
public sealed class DynamicQuantizationOptions
{
    /// <summary>The operators the dynamic quantizer knows how to rewrite.</summary>
    public static IReadOnlySet<string> SupportedOpTypes { get; } = new HashSet<string>(["MatMul", "Gemm", "LSTM", "Attention"], StringComparer.Ordinal);

    /// <summary>Operators to quantize (default MatMul, Gemm, LSTM and com.microsoft Attention); a subset of <see cref="SupportedOpTypes"/>.</summary>
    public ISet<string> OpTypes { get; } = new HashSet<string>(["MatMul", "Gemm", "LSTM", "Attention"], StringComparer.Ordinal);

    /// <summary>Node names to keep in fp32.</summary>
    public ISet<string> ExcludedNodes { get; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>
    /// Weights with fewer elements stay fp32 (default 256): for tiny layers the int8 kernel's per-call quantization
    /// of the activations costs more than it saves.
    /// </summary>
    public long MinimumWeightElements { get; set; } = 256;

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentException">An op type is not supported or a threshold is negative; the message names it.</exception>
    public void Validate()
    {
        var unsupported = OpTypes.Where(o => !SupportedOpTypes.Contains(o)).ToList();
        if (unsupported.Count > 0)
        {
            throw new ArgumentException(
                $"{nameof(DynamicQuantizationOptions)}.{nameof(OpTypes)} contains {string.Join(", ", unsupported)}; supported: {string.Join(", ", SupportedOpTypes)}.",
                nameof(OpTypes));
        }

        if (MinimumWeightElements < 0)
        {
            throw new ArgumentException($"{nameof(DynamicQuantizationOptions)}.{nameof(MinimumWeightElements)} is {MinimumWeightElements}; expected 0 or more.", nameof(MinimumWeightElements));
        }
    }
}

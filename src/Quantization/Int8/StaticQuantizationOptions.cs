namespace EdgeAI.Quantization.Int8;

/// <summary>Settings of <see cref="StaticQuantizer"/>.</summary>
public sealed class StaticQuantizationOptions
{
    /// <summary>The operators the quantizer knows how to rewrite.</summary>
    public static IReadOnlySet<string> SupportedOpTypes { get; } = new HashSet<string>(["Conv", "Gemm", "MatMul"], StringComparer.Ordinal);

    /// <summary>Operators to quantize (default Conv, Gemm and MatMul); a subset of <see cref="SupportedOpTypes"/>.</summary>
    public ISet<string> OpTypes { get; } = new HashSet<string>(["Conv", "Gemm", "MatMul"], StringComparer.Ordinal);

    /// <summary>
    /// Node names to keep in fp32. Measured on ARM-class CPUs: a first Conv with one input channel is often
    /// faster left in fp32.
    /// </summary>
    public ISet<string> ExcludedNodes { get; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Also quantize each quantized node's output (default true), which lets ONNX Runtime fuse the pattern into one int8 kernel (QLinearConv, QGemm).</summary>
    public bool QuantizeOutputs { get; set; } = true;

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentException">An op type is not supported; the message names it.</exception>
    public void Validate()
    {
        var unsupported = OpTypes.Where(o => !SupportedOpTypes.Contains(o)).ToList();
        if (unsupported.Count > 0)
        {
            throw new ArgumentException(
                $"{nameof(StaticQuantizationOptions)}.{nameof(OpTypes)} contains {string.Join(", ", unsupported)}; supported: {string.Join(", ", SupportedOpTypes)}.",
                nameof(OpTypes));
        }
    }
}

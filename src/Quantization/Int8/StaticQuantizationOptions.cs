namespace EdgeAI.Quantization.Int8;

/// <summary>Settings of <see cref="StaticQuantizer"/>.</summary>
public sealed class StaticQuantizationOptions
{
    /// <summary>The operators the quantizer knows how to rewrite (docs/quantization.md lists what each becomes in ONNX Runtime).</summary>
    public static IReadOnlySet<string> SupportedOpTypes => QdqOperators.Supported;

    /// <summary>
    /// Operators to quantize; a subset of <see cref="SupportedOpTypes"/>. Default: all of them except ConvTranspose,
    /// which ONNX Runtime's CPU provider does not fuse into an int8 kernel (it would run in fp32 behind Q/DQ pairs).
    /// </summary>
    public ISet<string> OpTypes { get; } = new HashSet<string>(QdqOperators.Supported.Where(o => o != "ConvTranspose"), StringComparer.Ordinal);

    /// <summary>
    /// Node names to keep in fp32. Measured on ARM-class CPUs: a first Conv with one input channel is often
    /// faster left in fp32.
    /// </summary>
    public ISet<string> ExcludedNodes { get; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>
    /// Also quantize each quantized node's output (default true), which lets ONNX Runtime fuse the pattern into one int8
    /// kernel (QLinearConv, QGemm, QLinearAdd...). Without it only Conv, ConvTranspose, Gemm and MatMul are quantized
    /// (their inputs only) and nothing is carried in int8 from one operator to the next.
    /// </summary>
    public bool QuantizeOutputs { get; set; } = true;

    /// <summary>Integer type of the activations (default <see cref="ActivationType.UInt8"/>, the fastest on x86).</summary>
    public ActivationType ActivationType { get; set; } = ActivationType.UInt8;

    /// <summary>
    /// ONNX Runtime session config entries a model quantized with these settings needs to run its int8 kernels:
    /// <c>session.qdqisint8allowed = 1</c> for int8 activations (x86 builds of ONNX Runtime leave int8 QDQ unfused otherwise).
    /// </summary>
    public IReadOnlyDictionary<string, string> RequiredSessionConfig =>
        ActivationType == ActivationType.Int8
            ? new Dictionary<string, string>(StringComparer.Ordinal) { ["session.qdqisint8allowed"] = "1" }
            : new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentException">An op type is not supported or the activation type is unknown; the message names it.</exception>
    public void Validate()
    {
        var unsupported = OpTypes.Where(o => !SupportedOpTypes.Contains(o)).ToList();
        if (unsupported.Count > 0)
        {
            throw new ArgumentException(
                $"{nameof(StaticQuantizationOptions)}.{nameof(OpTypes)} contains {string.Join(", ", unsupported)}; supported: {string.Join(", ", SupportedOpTypes)}.",
                nameof(OpTypes));
        }

        if (!Enum.IsDefined(ActivationType))
        {
            throw new ArgumentException($"{nameof(StaticQuantizationOptions)}.{nameof(ActivationType)} is {(int)ActivationType}; expected UInt8 or Int8.", nameof(ActivationType));
        }
    }
}

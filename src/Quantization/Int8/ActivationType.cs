namespace EdgeAI.Quantization.Int8;

/// <summary>The integer type of quantized activations (weights are always int8, symmetric).</summary>
public enum ActivationType
{
    /// <summary>
    /// uint8, asymmetric: what ONNX Runtime's x86 kernels are fastest with (u8s8 VNNI), and the only activation type
    /// its QDQ fusion accepts for Conv and MatMul on x86 unless <c>session.qdqisint8allowed</c> is set.
    /// </summary>
    UInt8,

    /// <summary>
    /// int8, asymmetric: ONNX Runtime fuses it on ARM by default; on x86 it needs the session config entry
    /// <c>session.qdqisint8allowed = 1</c> (see <see cref="StaticQuantizationOptions.RequiredSessionConfig"/>).
    /// </summary>
    Int8,
}

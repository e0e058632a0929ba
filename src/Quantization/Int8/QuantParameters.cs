namespace EdgeAI.Quantization.Int8;

/// <summary>
/// Affine quantization parameters: a real value <c>r</c> is stored as <c>q = saturate(round(r / Scale) + ZeroPoint)</c>
/// and read back as <c>(q - ZeroPoint) * Scale</c>, as ONNX QuantizeLinear / DequantizeLinear define them
/// (round half to even).
/// </summary>
/// <param name="Scale">Real value of one quantization step; positive and finite.</param>
/// <param name="ZeroPoint">The quantized value that stands for real 0.</param>
public readonly record struct QuantParameters(float Scale, int ZeroPoint);

namespace EdgeAI.Quantization.Int8;

/// <summary>How much quantizing one node alone disturbs its own output.</summary>
/// <param name="Node">The node's name.</param>
/// <param name="Label">The node's label, as in <see cref="QuantizationResult.QuantizedNodes"/>.</param>
/// <param name="SqnrDb">SQNR in dB of the node's output with only this node quantized, against fp32, over the samples (lower is more sensitive).</param>
public sealed record LayerSensitivity(string Node, string Label, double SqnrDb);

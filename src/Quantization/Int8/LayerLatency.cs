namespace EdgeAI.Quantization.Int8;

/// <summary>What <see cref="LatencyGuidedQuantizer"/> measured for one quantized layer.</summary>
/// <param name="Node">The node's name.</param>
/// <param name="Label">The node's label, as in <see cref="QuantizationResult.QuantizedNodes"/>.</param>
/// <param name="RevertedToFp32">Whether the layer was kept in fp32 because that was measurably faster.</param>
/// <param name="Ratios">
/// Median latency of the model with this layer also in fp32 over that of the best model so far, one per measurement
/// (a measurement that does not show the gain ends the trial, so there are fewer than the confirmations asked for when kept int8).
/// </param>
public sealed record LayerLatency(string Node, string Label, bool RevertedToFp32, IReadOnlyList<double> Ratios);

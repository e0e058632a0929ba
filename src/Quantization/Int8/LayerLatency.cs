namespace EdgeAI.Quantization.Int8;

/// <summary>What <see cref="LatencyGuidedQuantizer"/> measured for one candidate: a quantized layer, or a group of nodes tried in fp32 together.</summary>
/// <param name="Node">The node's name for a single layer; for a group an identifier such as <c>op:depthwise-Conv</c> or <c>block:&lt;first node&gt;</c>.</param>
/// <param name="Label">The node's label, as in <see cref="QuantizationResult.QuantizedNodes"/>, or a description of the group.</param>
/// <param name="Nodes">Labels of the nodes the candidate keeps fp32 (the layer's own label for a single layer).</param>
/// <param name="RevertedToFp32">Whether the candidate was kept in fp32: measurably faster, and as accurate as the accuracy guard asks.</param>
/// <param name="Ratios">
/// Median latency of the model with this candidate also in fp32 over that of the best model so far, one per measurement
/// (a measurement that does not show the gain ends the trial, so there are fewer than the confirmations asked for when kept int8).
/// </param>
/// <param name="RefusedByAccuracy">Whether the candidate measured faster but was kept int8 because the accuracy guard refused it.</param>
public sealed record LayerLatency(string Node, string Label, IReadOnlyList<string> Nodes, bool RevertedToFp32, IReadOnlyList<double> Ratios, bool RefusedByAccuracy);

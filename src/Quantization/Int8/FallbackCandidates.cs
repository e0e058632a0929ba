using EdgeAI.Quantization.Onnx;

namespace EdgeAI.Quantization.Int8;

/// <summary>What the searches that keep some quantized layers in fp32 (<see cref="AccuracyAwareQuantizer"/>, <see cref="LatencyGuidedQuantizer"/>) share.</summary>
internal static class FallbackCandidates
{
    /// <summary>
    /// The nodes of <paramref name="model"/> that <paramref name="full"/> quantized and that could be kept fp32 on their own,
    /// in graph order. Pass-through and rescale nodes only carry a neighbour's int8 tensor; alone they quantize nothing.
    /// </summary>
    public static List<OnnxNode> Of(OnnxModel model, QuantizationResult full)
    {
        var byLabel = model.Graph.Nodes.ToDictionary(n => n.Label, StringComparer.Ordinal);
        return [.. full.QuantizedNodes.Select(l => byLabel[l])
            .Where(n => QdqOperators.KindOf(n.OpType) is QdqOperatorKind.Weighted or QdqOperatorKind.Activation)];
    }

    /// <summary>A copy of <paramref name="source"/> that also keeps <paramref name="fp32Nodes"/> in fp32.</summary>
    public static StaticQuantizationOptions Excluding(StaticQuantizationOptions source, IEnumerable<string> fp32Nodes)
    {
        var copy = new StaticQuantizationOptions { QuantizeOutputs = source.QuantizeOutputs, ActivationType = source.ActivationType };
        copy.OpTypes.Clear();
        copy.OpTypes.UnionWith(source.OpTypes);
        copy.ExcludedNodes.UnionWith(source.ExcludedNodes);
        copy.ExcludedNodes.UnionWith(fp32Nodes);
        return copy;
    }
}

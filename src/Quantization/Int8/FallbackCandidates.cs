using EdgeAI.Quantization.Onnx;

namespace EdgeAI.Quantization.Int8;

/// <summary>What the searches that keep some quantized layers in fp32 (<see cref="AccuracyAwareQuantizer"/>, <see cref="LatencyGuidedQuantizer"/>) share.</summary>
internal static class FallbackCandidates
{
    /// <summary>Pass-through operators that compute (not only move bytes): their int8 kernel can be slower than fp32 (uint8 MaxPool on x86).</summary>
    private static readonly HashSet<string> ComputingPassThrough = new(StringComparer.Ordinal) { "MaxPool", "Resize" };

    /// <summary>
    /// The nodes of <paramref name="model"/> that <paramref name="full"/> quantized and that could be kept fp32 on their own,
    /// in graph order. Pass-through and rescale nodes only carry a neighbour's int8 tensor; alone they quantize nothing.
    /// </summary>
    public static List<OnnxNode> Of(OnnxModel model, QuantizationResult full) =>
        [.. QuantizedInOrder(model, full).Where(IsLayer)];

    /// <summary>
    /// Sets of quantized nodes that go fp32 together, so that a region costs one Q/DQ boundary on each side instead of one around
    /// every layer: all depthwise convolutions; all nodes of each computing pass-through operator (MaxPool, Resize); and every
    /// single-entry, single-exit block of the graph (the nodes between two points where exactly one tensor is live, such as a
    /// residual or squeeze-excite block) that holds at least two quantized layers. Only nodes <paramref name="full"/> quantized
    /// are members. In graph order, op-type groups first.
    /// </summary>
    public static List<FallbackGroup> Groups(OnnxModel model, QuantizationResult full)
    {
        var quantized = QuantizedInOrder(model, full);
        var groups = new List<FallbackGroup>();
        var depthwise = quantized.Where(n => IsDepthwise(model.Graph, n)).ToList();
        if (depthwise.Count > 1)
        {
            groups.Add(new FallbackGroup("op:depthwise-Conv", $"all {depthwise.Count} depthwise Conv", depthwise));
        }

        foreach (var op in quantized.Where(n => ComputingPassThrough.Contains(n.OpType)).GroupBy(n => n.OpType))
        {
            groups.Add(new FallbackGroup($"op:{op.Key}", $"all {op.Count()} {op.Key}", [.. op]));
        }

        var quantizedSet = quantized.ToHashSet();
        var blocks = Blocks(model.Graph);
        if (blocks.Count > 1)
        {
            foreach (var block in blocks.Select(b => b.Where(quantizedSet.Contains).ToList()).Where(b => b.Count(IsLayer) >= 2))
            {
                groups.Add(new FallbackGroup($"block:{block[0].Name}", $"block '{block[0].Name}' .. '{block[^1].Name}' ({block.Count(IsLayer)} quantized layers)", block));
            }
        }

        return groups;
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

    /// <summary>A weighted or activation layer: one that quantizes something on its own.</summary>
    public static bool IsLayer(OnnxNode node) => QdqOperators.KindOf(node.OpType) is QdqOperatorKind.Weighted or QdqOperatorKind.Activation;

    private static List<OnnxNode> QuantizedInOrder(OnnxModel model, QuantizationResult full)
    {
        var labels = full.QuantizedNodes.ToHashSet(StringComparer.Ordinal);
        return [.. model.Graph.GetTopologicalOrder().Where(n => labels.Contains(n.Label))];
    }

    /// <summary>A Conv with one input channel per group and more than one group (weights [C, 1, k...]).</summary>
    private static bool IsDepthwise(OnnxGraph graph, OnnxNode node) =>
        node.OpType == "Conv" && node.FindAttribute("group")?.GetInt() is > 1 && node.Inputs.Count > 1
        && graph.FindInitializer(node.Inputs[1]) is { Dims.Count: >= 3 } weight && weight.Dims[1] == 1;

    /// <summary>
    /// The graph cut, in topological order, after every node where exactly one computed tensor (not an initializer) is
    /// still to be read: each block between two cuts is entered and left by one tensor.
    /// </summary>
    private static List<List<OnnxNode>> Blocks(OnnxGraph graph)
    {
        var order = graph.GetTopologicalOrder();
        var constants = graph.Initializers.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        // Shape computations (Shape → Slice → Concat → Reshape's shape input) are not data flow: a Shape read early and
        // used at the end would otherwise keep one more tensor live across the whole model.
        foreach (var node in order.Where(n => n.OpType is "Shape" or "Size" or "Constant" || n.Inputs.All(i => i.Length == 0 || constants.Contains(i))))
        {
            constants.UnionWith(node.Outputs);
        }

        var producedAt = graph.Inputs.Where(i => !constants.Contains(i.Name)).ToDictionary(i => i.Name, _ => 0, StringComparer.Ordinal);
        var lastRead = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < order.Count; i++)
        {
            foreach (var output in order[i].Outputs.Where(o => o.Length > 0 && !constants.Contains(o)))
            {
                producedAt[output] = i;
            }

            foreach (var input in order[i].Inputs.Where(producedAt.ContainsKey))
            {
                lastRead[input] = i;
            }
        }

        foreach (var output in graph.Outputs)
        {
            lastRead[output.Name] = order.Count;
        }

        // live[b] counts the tensors produced at or before node b and read after it.
        var live = new int[order.Count + 1];
        foreach (var (tensor, last) in lastRead)
        {
            live[producedAt[tensor]]++;
            live[last]--;
        }

        var blocks = new List<List<OnnxNode>>();
        var current = new List<OnnxNode>();
        var count = 0;
        for (var b = 0; b < order.Count; b++)
        {
            count += live[b];
            current.Add(order[b]);
            if (count == 1)
            {
                blocks.Add(current);
                current = [];
            }
        }

        if (current.Count > 0)
        {
            blocks.Add(current);
        }

        return blocks;
    }
}

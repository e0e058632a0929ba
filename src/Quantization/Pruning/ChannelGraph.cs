using EdgeAI.Quantization.Onnx;
using EdgeAI.Quantization.Onnx.Proto;
using DataType = EdgeAI.Quantization.Onnx.Proto.TensorProto.Types.DataType;

namespace EdgeAI.Quantization.Pruning;

/// <summary>
/// Follows the output channels of every prunable Conv through the graph and records what removing some of them
/// means for every other tensor and weight: the channel groups (Convs joined by element-wise ops share one), the
/// initializer slices and <c>group</c> attributes to change, and, for groups whose channels reach something this
/// pass cannot follow, the reason (naming the node).
/// </summary>
/// <remarks>
/// A group's source is a Conv with <c>group = 1</c> and constant float weights (and bias) that nothing else reads.
/// Followed: element-wise activations, BatchNormalization, PRelu, pools, Pad outside the channel axis, Add/Sub/
/// Mul/Div/Max/Min/Sum of tensors with the same channel layout (joining their groups) or with scalar or per-channel
/// constants, depthwise Conv (group = channels, multiplier 1), Concat on axis 1 (offsets kept per segment), and
/// Flatten(axis 1) or Reshape to [N, -1] into the K axis of a Gemm/MatMul with constant weights. Consumers that
/// read the channels in any other way refuse the group. Built on the model it will edit.
/// </remarks>
internal sealed class ChannelGraph
{
    private static readonly HashSet<string> ChannelWise = new(
        ["Relu", "LeakyRelu", "Clip", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Elu", "Selu", "Celu", "Softplus", "Softsign",
         "Mish", "Gelu", "Erf", "Exp", "Abs", "Neg", "Sqrt", "Reciprocal", "Identity", "Dropout", "ThresholdedRelu",
         "MaxPool", "AveragePool", "LpPool", "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool"],
        StringComparer.Ordinal);

    private static readonly HashSet<string> Elementwise = new(["Add", "Sub", "Mul", "Div", "Max", "Min", "Sum"], StringComparer.Ordinal);

    private readonly OnnxGraph _graph;
    private readonly Dictionary<string, TensorProto> _initializers;
    private readonly Dictionary<string, int> _uses = new(StringComparer.Ordinal);
    private readonly List<int> _parent = [];
    private readonly List<int> _count = [];
    private readonly List<string?> _refusal = [];
    private readonly List<NodeProto> _owner = [];
    private readonly Dictionary<string, Channels> _tensors = new(StringComparer.Ordinal);
    private readonly List<ChannelEdit> _edits = [];

    private ChannelGraph(OnnxGraph graph)
    {
        _graph = graph;
        _initializers = graph.Proto.Initializer.GroupBy(t => t.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        foreach (var name in graph.Proto.Node.SelectMany(AllReads))
        {
            _uses[name] = _uses.GetValueOrDefault(name) + 1;
        }

        foreach (var output in graph.Proto.Output)
        {
            _uses[output.Name] = _uses.GetValueOrDefault(output.Name) + 1;
        }
    }

    /// <summary>The groups found, as public layer descriptions, in source order.</summary>
    public IReadOnlyList<PrunableLayer> Layers { get; private set; } = [];

    /// <summary>Analyzes <paramref name="graph"/>; nodes named in <paramref name="excluded"/> refuse the groups they touch.</summary>
    /// <exception cref="OnnxFormatException">The graph has a cycle.</exception>
    public static ChannelGraph Analyze(OnnxGraph graph, IReadOnlySet<string> excluded)
    {
        var analysis = new ChannelGraph(graph);
        foreach (var node in graph.GetTopologicalOrder())
        {
            analysis.Visit(node.Proto, excluded.Contains(Key(node.Proto)));
        }

        foreach (var output in graph.Proto.Output.Where(o => analysis._tensors.ContainsKey(o.Name)))
        {
            analysis.Refuse(analysis._tensors[output.Name].Segments, $"its channels reach graph output '{output.Name}', whose shape is part of the model's contract");
        }

        analysis.Layers = [.. analysis.Roots().Select(analysis.Describe)];
        return analysis;
    }

    /// <summary>How pruning names a node: its name, or for an unnamed node its first output's (unique) name.</summary>
    public static string Key(NodeProto node) => node.Name.Length > 0 ? node.Name : node.Output.FirstOrDefault() ?? node.OpType;

    /// <summary>The layer a Conv name belongs to (as a source), or <see langword="null"/>.</summary>
    public PrunableLayer? FindLayer(string convName) =>
        Layers.FirstOrDefault(l => l.Convs.Contains(convName, StringComparer.Ordinal));

    /// <summary>
    /// Per-channel importance of a layer: the L1 or L2 norm of each output channel's weights over all Convs of the
    /// group, each scaled by |γ/√(σ²+ε)| when a BatchNormalization alone reads the Conv's output (the norm after folding).
    /// </summary>
    public double[] ChannelNorms(PrunableLayer layer, ChannelCriterion criterion)
    {
        var scores = new double[layer.Channels];
        foreach (var owner in SourcesOf(layer))
        {
            var weights = new OnnxTensor(_initializers[owner.Input[1]], _graph.BaseDirectory, _graph.ModelPath).ToSingleArray();
            var scale = FoldedScale(owner, layer.Channels);
            var perChannel = weights.Length / layer.Channels;
            for (var c = 0; c < layer.Channels; c++)
            {
                double sum = 0;
                foreach (var w in weights.AsSpan(c * perChannel, perChannel))
                {
                    var v = w * scale[c];
                    sum += criterion == ChannelCriterion.L1 ? Math.Abs(v) : v * v;
                }

                scores[c] += sum;
            }
        }

        return criterion == ChannelCriterion.L2 ? [.. scores.Select(Math.Sqrt)] : scores;
    }

    /// <summary>
    /// Removes the given output channels of each layer (by name) from the graph this analysis was built on: every
    /// recorded slice and <c>group</c> change, and the declared value_info of every tensor whose channels change.
    /// </summary>
    public void Apply(IReadOnlyDictionary<string, int[]> removedByLayer)
    {
        var removedByRoot = new Dictionary<int, int[]>();
        foreach (var (name, removed) in removedByLayer.Where(p => p.Value.Length > 0))
        {
            removedByRoot[Layers.Single(l => l.Name == name).Root] = [.. removed.Order()];
        }

        foreach (var edit in _edits)
        {
            var indices = RemovedIndices(edit.Channels, edit.Block, removedByRoot);
            if (indices.Count == 0)
            {
                continue;
            }

            if (edit.GroupNode is { } node)
            {
                new OnnxNode(node, _graph).SetAttribute(OnnxAttribute.Int("group", edit.Channels.Sum(s => s.Count) - indices.Count));
            }
            else
            {
                Slice(edit.Initializer!, edit.Axis, indices);
            }
        }

        var changed = _tensors.Where(t => t.Value.Segments.Any(s => removedByRoot.ContainsKey(Find(s.Group)))).Select(t => t.Key).ToHashSet(StringComparer.Ordinal);
        foreach (var info in _graph.Proto.ValueInfo.Where(v => changed.Contains(v.Name)).ToList())
        {
            _graph.Proto.ValueInfo.Remove(info);
        }
    }

    private IEnumerable<NodeProto> SourcesOf(PrunableLayer layer) =>
        Enumerable.Range(0, _owner.Count).Where(g => Find(g) == layer.Root).Select(g => _owner[g]);

    private float[] FoldedScale(NodeProto conv, int channels)
    {
        var scale = Enumerable.Repeat(1f, channels).ToArray();
        var readers = _graph.Proto.Node.Where(n => n.Input.Contains(conv.Output[0])).ToList();
        if (readers is not [{ OpType: "BatchNormalization", Domain: "" } bn] || bn.Input.Count < 5
            || bn.Input.Skip(1).Take(4).Any(i => !IsFloatInitializer(i)))
        {
            return scale;
        }

        var gamma = Read(bn.Input[1]);
        var variance = Read(bn.Input[4]);
        var epsilon = bn.Attribute.FirstOrDefault(a => a.Name == "epsilon")?.F ?? 1e-5f;
        for (var c = 0; c < channels && c < gamma.Length && c < variance.Length; c++)
        {
            scale[c] = (float)Math.Abs(gamma[c] / Math.Sqrt(variance[c] + (double)epsilon));
        }

        return scale;
    }

    private float[] Read(string initializer) => new OnnxTensor(_initializers[initializer], _graph.BaseDirectory, _graph.ModelPath).ToSingleArray();

    private void Visit(NodeProto node, bool excluded)
    {
        var label = new OnnxNode(node, _graph).Label;
        var mapped = node.Input.Select((name, index) => (name, index)).Where(p => _tensors.ContainsKey(p.name)).ToList();
        foreach (var read in SubgraphReads(node).Where(_tensors.ContainsKey))
        {
            Refuse(_tensors[read].Segments, $"node {label} reads '{read}' inside a subgraph");
        }

        if (node.Domain.Length > 0 && mapped.Count > 0)
        {
            RefuseAll(mapped, $"node {label} (domain '{node.Domain}') reads them and its channel dependency cannot be followed");
        }
        else if (node.OpType == "Conv")
        {
            VisitConv(node, label, mapped);
        }
        else if (mapped.Count > 0)
        {
            VisitReader(node, label, mapped);
        }

        if (excluded)
        {
            RefuseAll(mapped, $"node {label} is excluded");
            foreach (var output in node.Output.Where(_tensors.ContainsKey))
            {
                Refuse(_tensors[output].Segments, $"node {label} is excluded");
            }
        }
    }

    private void VisitReader(NodeProto node, string label, List<(string Name, int Index)> mapped)
    {
        var first = _tensors[mapped[0].Name];
        string? refusal = null;
        if (ChannelWise.Contains(node.OpType) || node.OpType is "BatchNormalization" or "PRelu" or "Pad")
        {
            refusal = mapped.Count > 1 || mapped[0].Index != 0 ? $"node {label} reads them as a parameter"
                : first.Flat && node.OpType is not ("Relu" or "Identity" or "Dropout" or "Clip" or "LeakyRelu" or "Sigmoid" or "Tanh") ? $"node {label} reads them after a Flatten"
                : node.OpType == "MaxPool" && node.Output.Count > 1 && node.Output[1].Length > 0 ? $"node {label} returns indices, which count channels"
                : ParameterRefusal(node, label, first);
        }
        else if (Elementwise.Contains(node.OpType))
        {
            refusal = first.Flat ? $"node {label} reads them after a Flatten" : JoinElementwise(node, label, mapped);
        }
        else if (node.OpType == "Concat")
        {
            var axis = node.Attribute.FirstOrDefault(a => a.Name == "axis")?.I;
            if (axis != 1 || mapped.Count != node.Input.Count || mapped.Any(m => _tensors[m.Name].Flat))
            {
                refusal = $"node {label} concatenates them on axis {axis} or with tensors whose channels do not come from a prunable Conv; only Concat on axis 1 of followed tensors is supported";
            }
            else
            {
                _tensors[node.Output[0]] = new Channels([.. mapped.SelectMany(m => _tensors[m.Name].Segments)], false);
                return;
            }
        }
        else if (node.OpType is "Flatten" or "Reshape")
        {
            refusal = first.Flat || mapped[0].Index != 0 || !FlattensToRows(node) ? $"node {label} reshapes them other than to [N, C·H·W] (Flatten axis 1, or Reshape to [N, -1])" : null;
            if (refusal is null)
            {
                _tensors[node.Output[0]] = first with { Flat = true };
                return;
            }
        }
        else if (node.OpType is "Gemm" or "MatMul")
        {
            refusal = ReadRows(node, label, mapped, first);
            if (refusal is null)
            {
                return;
            }
        }
        else
        {
            refusal = $"node {label} ({node.OpType}) reads them and its channel dependency cannot be followed";
        }

        if (refusal is not null)
        {
            RefuseAll(mapped, refusal);
            return;
        }

        _tensors[node.Output[0]] = Elementwise.Contains(node.OpType) ? new Channels(first.Segments, false) : first;
    }

    private void VisitConv(NodeProto node, string label, List<(string Name, int Index)> mapped)
    {
        var weight = node.Input.Count > 1 ? node.Input[1] : "";
        var bias = node.Input.Count > 2 ? node.Input[2] : "";
        var group = node.Attribute.FirstOrDefault(a => a.Name == "group")?.I ?? 1;
        var weightDims = _initializers.TryGetValue(weight, out var w) ? w.Dims : null;
        if (mapped.Any(m => m.Index != 0))
        {
            RefuseAll(mapped, $"node {label} reads them as weights");
            return;
        }

        if (mapped.Count == 1)
        {
            var input = _tensors[mapped[0].Name];
            var total = input.Segments.Sum(s => s.Count);
            if (input.Flat || weightDims is null || weightDims.Count < 3)
            {
                Refuse(input.Segments, $"node {label} reads them {(input.Flat ? "after a Flatten" : "with weights that are not a constant initializer")}");
                return;
            }

            if (group == 1)
            {
                TryEdit(weight, 1, input.Segments, 1, label);
            }
            else if (group == total && weightDims[0] == total && weightDims[1] == 1)
            {
                if (TryEdit(weight, 0, input.Segments, 1, label) && (bias.Length == 0 || TryEdit(bias, 0, input.Segments, 1, label)))
                {
                    _edits.Add(new ChannelEdit(null, 0, input.Segments, 1, node));
                    _tensors[node.Output[0]] = input;
                }

                return;
            }
            else
            {
                Refuse(input.Segments, $"node {label} is a grouped Conv (group {group} over {total} channels); only depthwise Convs (group = channels, one filter each) are followed");
                return;
            }
        }

        if (group == 1 && weightDims is { Count: >= 3 } && CanEdit(weight) && (bias.Length == 0 || CanEdit(bias)) && node.Output.Count > 0)
        {
            var segments = new[] { new ChannelSegment(NewGroup((int)weightDims[0], node), (int)weightDims[0]) };
            _edits.Add(new ChannelEdit(weight, 0, segments, 1));
            if (bias.Length > 0)
            {
                _edits.Add(new ChannelEdit(bias, 0, segments, 1));
            }

            _tensors[node.Output[0]] = new Channels(segments, false);
        }
    }

    /// <summary>Records the slices of a channel-wise node's per-channel parameters; the refusal when one is not per-channel.</summary>
    private string? ParameterRefusal(NodeProto node, string label, Channels input)
    {
        var total = input.Segments.Sum(s => s.Count);
        switch (node.OpType)
        {
            case "BatchNormalization":
                foreach (var parameter in node.Input.Skip(1).Take(4))
                {
                    if (!TryEdit(parameter, 0, input.Segments, 1, label))
                    {
                        return null;
                    }
                }

                return node.Output.Skip(1).Any(o => o.Length > 0) ? $"node {label} is in training mode (running statistics as outputs)" : null;
            case "PRelu":
                if (PerChannelConstant(node.Input[1], total) is not { } slopeAxis)
                {
                    return $"node {label} has a slope that is neither a scalar nor per-channel";
                }

                // A failed edit has already refused the group with its own reason.
                _ = slopeAxis < 0 || TryEdit(node.Input[1], slopeAxis, input.Segments, 1, label);
                return null;
            case "Pad":
                if (node.Input.Count < 2 || !IsInitializer(node.Input[1]) || (node.Input.Count > 3 && node.Input[3].Length > 0))
                {
                    return $"node {label} has pads that are not a constant (or names axes)";
                }

                var pads = new OnnxTensor(_initializers[node.Input[1]], null, null).ToInt64Array();
                return pads.Length >= 4 && pads[1] == 0 && pads[(pads.Length / 2) + 1] == 0 ? null : $"node {label} pads the channel axis";
            default:
                return null;
        }
    }

    private string? JoinElementwise(NodeProto node, string label, List<(string Name, int Index)> mapped)
    {
        var first = _tensors[mapped[0].Name].Segments;
        foreach (var other in mapped.Skip(1).Select(m => _tensors[m.Name]))
        {
            if (other.Flat || other.Segments.Length != first.Length || other.Segments.Where((s, i) => s.Count != first[i].Count).Any())
            {
                return $"node {label} combines tensors whose channels are laid out differently";
            }

            for (var i = 0; i < first.Length; i++)
            {
                Union(first[i].Group, other.Segments[i].Group);
            }
        }

        var total = first.Sum(s => s.Count);
        foreach (var input in node.Input.Where(i => i.Length > 0 && !_tensors.ContainsKey(i)))
        {
            if (!IsInitializer(input))
            {
                return $"node {label} also reads '{input}', whose channels do not come from a prunable Conv";
            }

            if (PerChannelConstant(input, total) is not { } axis)
            {
                return $"node {label} reads constant '{input}', which is neither a scalar nor per-channel";
            }

            if (axis >= 0 && !TryEdit(input, axis, first, 1, label))
            {
                return null;
            }
        }

        return null;
    }

    /// <summary>Gemm/MatMul reading a flattened tensor: its weight rows (K axis) are channel-major blocks of H·W.</summary>
    private string? ReadRows(NodeProto node, string label, List<(string Name, int Index)> mapped, Channels input)
    {
        var transA = node.Attribute.FirstOrDefault(a => a.Name == "transA")?.I ?? 0;
        var transB = node.Attribute.FirstOrDefault(a => a.Name == "transB")?.I ?? 0;
        if (!input.Flat || mapped.Count != 1 || mapped[0].Index != 0 || transA != 0 || node.Input.Count < 2
            || !_initializers.TryGetValue(node.Input[1], out var b) || b.Dims.Count != 2)
        {
            return $"node {label} reads them other than as the rows of a Flatten into a constant 2-D weight";
        }

        var kAxis = node.OpType == "Gemm" && transB == 1 ? 1 : 0;
        var total = input.Segments.Sum(s => s.Count);
        if (b.Dims[kAxis] % total != 0)
        {
            return $"node {label} has {b.Dims[kAxis]} input features, not a multiple of the {total} channels flattened into it";
        }

        TryEdit(node.Input[1], kAxis, input.Segments, b.Dims[kAxis] / total, label);
        return null;
    }

    private bool FlattensToRows(NodeProto node)
    {
        if (node.OpType == "Flatten")
        {
            return (node.Attribute.FirstOrDefault(a => a.Name == "axis")?.I ?? 1) == 1;
        }

        // Reshape to [0 or N, -1]: rows of C·H·W, channel-major, whatever the spatial size.
        if (node.Input.Count < 2 || !_initializers.TryGetValue(node.Input[1], out var shape) || shape.DataType != (int)DataType.Int64)
        {
            return false;
        }

        var values = new OnnxTensor(shape, _graph.BaseDirectory, _graph.ModelPath).ToInt64Array();
        return values is [>= 0, -1];
    }

    /// <summary>-1 for a single-element constant, the channel axis for a [C,1,1] or [1,C,1,1] constant, else null.</summary>
    private int? PerChannelConstant(string name, int channels)
    {
        if (!_initializers.TryGetValue(name, out var tensor))
        {
            return null;
        }

        var dims = tensor.Dims;
        if (dims.Aggregate(1L, (a, d) => a * d) == 1)
        {
            return -1;
        }

        var axis = dims.Count switch { 3 => 0, 4 => 1, 1 when channels == 1 => 0, _ => -2 };
        return axis >= 0 && dims[axis] == channels && dims.Where((d, i) => i != axis).All(d => d == 1) ? axis : null;
    }

    private bool TryEdit(string initializer, int axis, ChannelSegment[] segments, long block, string label)
    {
        var total = segments.Sum(s => s.Count);
        if (!CanEdit(initializer))
        {
            Refuse(segments, $"node {label} reads '{initializer}', which is not a float initializer read by this node alone");
            return false;
        }

        var dims = _initializers[initializer].Dims;
        if (dims.Count <= axis || dims[axis] != total * block)
        {
            Refuse(segments, $"node {label} has '{initializer}' with {(dims.Count <= axis ? "no" : dims[axis].ToString(System.Globalization.CultureInfo.InvariantCulture))} entries on axis {axis}; expected {total * block}");
            return false;
        }

        _edits.Add(new ChannelEdit(initializer, axis, segments, block));
        return true;
    }

    private bool CanEdit(string name) => IsFloatInitializer(name) && _uses.GetValueOrDefault(name) == 1;

    private bool IsFloatInitializer(string name) => _initializers.TryGetValue(name, out var t) && t.DataType == (int)DataType.Float;

    private bool IsInitializer(string name) => _initializers.ContainsKey(name);

    private void RefuseAll(List<(string Name, int Index)> mapped, string reason)
    {
        foreach (var (name, _) in mapped)
        {
            Refuse(_tensors[name].Segments, reason);
        }
    }

    private void Refuse(ChannelSegment[] segments, string reason)
    {
        foreach (var segment in segments)
        {
            var root = Find(segment.Group);
            _refusal[root] ??= reason;
        }
    }

    private int NewGroup(int count, NodeProto owner)
    {
        _parent.Add(_parent.Count);
        _count.Add(count);
        _refusal.Add(null);
        _owner.Add(owner);
        return _parent.Count - 1;
    }

    private int Find(int group)
    {
        while (_parent[group] != group)
        {
            _parent[group] = _parent[_parent[group]];
            group = _parent[group];
        }

        return group;
    }

    private void Union(int a, int b)
    {
        var (ra, rb) = (Find(a), Find(b));
        if (ra == rb)
        {
            return;
        }

        // The lower id (earlier source) stays the root, so a layer is named after its first Conv.
        var (root, child) = ra < rb ? (ra, rb) : (rb, ra);
        _parent[child] = root;
        _refusal[root] ??= _refusal[child];
    }

    private IEnumerable<int> Roots() => Enumerable.Range(0, _parent.Count).Where(g => Find(g) == g);

    private PrunableLayer Describe(int root) => new(
        Key(_owner[root]),
        [.. Enumerable.Range(0, _owner.Count).Where(g => Find(g) == root).Select(g => Key(_owner[g]))],
        _count[root],
        _refusal[root],
        root);

    private List<int> RemovedIndices(ChannelSegment[] segments, long block, Dictionary<int, int[]> removedByRoot)
    {
        var indices = new List<int>();
        var offset = 0;
        foreach (var segment in segments)
        {
            if (removedByRoot.TryGetValue(Find(segment.Group), out var removed))
            {
                foreach (var channel in removed)
                {
                    for (var k = 0L; k < block; k++)
                    {
                        indices.Add(checked((int)(((offset + channel) * block) + k)));
                    }
                }
            }

            offset += segment.Count;
        }

        return indices;
    }

    /// <summary>Replaces initializer <paramref name="name"/> by a copy without the given indices along <paramref name="axis"/>.</summary>
    private void Slice(string name, int axis, List<int> removedIndices)
    {
        var proto = _initializers[name];
        var tensor = new OnnxTensor(proto, _graph.BaseDirectory, _graph.ModelPath);
        var data = tensor.ToSingleArray();
        long[] dims = [.. proto.Dims];
        var removed = removedIndices.ToHashSet();
        var inner = dims.Skip(axis + 1).Aggregate(1L, (a, d) => a * d);
        var outer = dims.Take(axis).Aggregate(1L, (a, d) => a * d);
        var kept = Enumerable.Range(0, (int)dims[axis]).Where(i => !removed.Contains(i)).ToArray();
        var result = new float[outer * kept.Length * inner];
        var at = 0;
        for (var o = 0L; o < outer; o++)
        {
            foreach (var k in kept)
            {
                data.AsSpan((int)(((o * dims[axis]) + k) * inner), (int)inner).CopyTo(result.AsSpan(at));
                at += (int)inner;
            }
        }

        dims[axis] = kept.Length;
        var replacement = OnnxTensor.FromSingles(name, result, dims).Proto;
        _graph.Proto.Initializer[_graph.Proto.Initializer.IndexOf(proto)] = replacement;
        _initializers[name] = replacement;
        var input = _graph.Proto.Input.FirstOrDefault(v => v.Name == name);
        if (input is not null)
        {
            _graph.Proto.Input[_graph.Proto.Input.IndexOf(input)] = OnnxTensorInfo.ToValueInfo(name, Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float, dims.Select(OnnxDimension.FromInt64));
        }
    }

    private static IEnumerable<string> AllReads(NodeProto node) => node.Input.Where(i => i.Length > 0).Concat(SubgraphReads(node));

    private static IEnumerable<string> SubgraphReads(NodeProto node) =>
        node.Attribute.SelectMany(a => a.G is null ? a.Graphs : a.Graphs.Prepend(a.G)).SelectMany(g => g.Node.SelectMany(AllReads));

    /// <summary>A tensor's channel axis: its segments, and whether it has been flattened into rows (channel-major blocks).</summary>
    private sealed record Channels(ChannelSegment[] Segments, bool Flat);
}

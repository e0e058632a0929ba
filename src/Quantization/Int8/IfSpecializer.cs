using EdgeAI.Quantization.Calibration;
using EdgeAI.Quantization.Onnx;
using EdgeAI.Quantization.Onnx.Proto;

namespace EdgeAI.Quantization.Int8;

/// <summary>
/// Replaces <c>If</c> nodes whose condition is <c>Equal(input, constant)</c> on a graph input the caller fixes
/// (e.g. a sample rate), or whose condition is computed from the shape of an input the caller fixes, with the body of the branch that value selects, so the quantizers (which rewrite the
/// main graph only) see the operators inside. The input stays declared, unread, so the model's interface does not change.
/// </summary>
public static class IfSpecializer
{
    /// <summary>Specializes a copy of <paramref name="model"/> for fixed integer values of some graph inputs.</summary>
    /// <param name="model">The model.</param>
    /// <param name="fixedInputs">Graph input name to the value it will always have.</param>
    /// <returns>The copy and the labels of the If nodes replaced.</returns>
    /// <exception cref="NotSupportedException">A branch's tensor names clash with the main graph's.</exception>
    /// <param name="fixedShapes">Graph input name to its fixed shape, for conditions computed from <c>Shape</c> (e.g. a batch size test); optional.</param>
    public static (OnnxModel Model, IReadOnlyList<string> Inlined) Specialize(OnnxModel model, IReadOnlyDictionary<string, long> fixedInputs, IReadOnlyDictionary<string, long[]>? fixedShapes = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(fixedInputs);
        fixedShapes ??= new Dictionary<string, long[]>();
        var copy = model.Clone();
        var graph = copy.Graph;
        var inlined = new List<string>();
        // Inlining a branch can expose further If nodes whose conditions are now known: repeat until none is.
        for (var changed = true; changed;)
        {
            changed = false;
            foreach (var node in graph.Nodes.Where(n => n.OpType == "If" && n.Domain.Length == 0).ToList())
            {
                if (Inline(graph, node, fixedInputs, fixedShapes))
                {
                    inlined.Add(node.Label);
                    changed = true;
                }
            }
        }

        RemoveDeadNodes(graph);
        graph.SortTopologically();
        copy.Validate();
        return (copy, inlined);
    }

    private static bool Inline(OnnxGraph graph, OnnxNode node, IReadOnlyDictionary<string, long> fixedInputs, IReadOnlyDictionary<string, long[]> fixedShapes)
    {
        if (Evaluate(graph, node.Inputs[0], fixedInputs, fixedShapes, 0) is not [var value])
        {
            return false;
        }

        var branch = node.Proto.Attribute.First(a => a.Name == (value != 0 ? "then_branch" : "else_branch")).G;
        var existing = graph.Nodes.SelectMany(n => n.Outputs).Concat(graph.Initializers.Select(t => t.Name)).Concat(graph.Inputs.Select(i => i.Name)).ToHashSet(StringComparer.Ordinal);
        var clash = branch.Node.SelectMany(n => n.Output).Concat(branch.Initializer.Select(t => t.Name)).FirstOrDefault(existing.Contains);
        if (clash is not null)
        {
            throw new NotSupportedException($"Node {node.Label}: branch tensor '{clash}' is also named in the main graph; cannot inline.");
        }

        var rename = new Dictionary<string, string>(StringComparer.Ordinal);
        var index = graph.Proto.Node.IndexOf(node.Proto);
        var producedInBranch = branch.Node.SelectMany(n => n.Output).ToHashSet(StringComparer.Ordinal);
        var extra = new List<NodeProto>();
        for (var i = 0; i < node.Outputs.Count && i < branch.Output.Count; i++)
        {
            if (node.Outputs[i].Length == 0)
            {
                continue;
            }

            if (producedInBranch.Contains(branch.Output[i].Name))
            {
                rename[branch.Output[i].Name] = node.Outputs[i];
            }
            else
            {
                extra.Add(OnnxGraph.CreateNode("Identity", [branch.Output[i].Name], [node.Outputs[i]], null, null, ""));
            }
        }

        graph.Proto.Node.RemoveAt(index);
        var moved = branch.Node.Select(n => n.Clone()).Concat(extra).ToList();
        foreach (var n in moved)
        {
            for (var k = 0; k < n.Input.Count; k++)
            {
                n.Input[k] = rename.GetValueOrDefault(n.Input[k], n.Input[k]);
            }

            for (var k = 0; k < n.Output.Count; k++)
            {
                n.Output[k] = rename.GetValueOrDefault(n.Output[k], n.Output[k]);
            }
        }

        foreach (var n in moved.AsEnumerable().Reverse())
        {
            graph.Proto.Node.Insert(index, n);
        }

        graph.Proto.Initializer.AddRange(branch.Initializer.Select(t => t.Clone()));
        return true;
    }

    /// <summary>
    /// Specializes for one representative sample: ONNX Runtime reports the shape of every tensor the sample
    /// produces (<see cref="TensorShapeProbe"/>), conditions computed from those shapes are evaluated, and the
    /// probe is repeated on the result until no If is left to decide (branches reveal new tensors).
    /// </summary>
    /// <remarks>The result is only valid for inputs shaped like <paramref name="sample"/> (and with the fixed values).</remarks>
    /// <param name="model">The model.</param>
    /// <param name="fixedInputs">Integer graph inputs with fixed values (e.g. <c>sr</c> = 16000); they must match the sample.</param>
    /// <param name="sample">One array per graph input.</param>
    /// <returns>The copy and the labels of the If nodes replaced.</returns>
    public static (OnnxModel Model, IReadOnlyList<string> Inlined) SpecializeForSample(OnnxModel model, IReadOnlyDictionary<string, long> fixedInputs, IReadOnlyDictionary<string, NpyArray> sample)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(sample);
        var current = model;
        var inlined = new List<string>();
        for (var round = 0; round < 16; round++)
        {
            var shapes = sample.ToDictionary(s => s.Key, s => s.Value.Shape.ToArray(), StringComparer.Ordinal);
            foreach (var (name, info) in TensorShapeProbe.Probe(current, sample))
            {
                if (info.Shape is { } shape && shape.All(d => d.Value is not null))
                {
                    shapes[name] = [.. shape.Select(d => d.Value!.Value)];
                }
            }

            var (next, done) = Specialize(current, fixedInputs, shapes);
            if (done.Count == 0)
            {
                break;
            }

            inlined.AddRange(done);
            current = next;
        }

        return (current == model ? model.Clone() : current, inlined);
    }

    /// <summary>Small integer tensors computable from fixed inputs and shapes (Shape, Gather, Squeeze, Cast, Equal, ...), or null.</summary>
    private static long[]? Evaluate(OnnxGraph graph, string name, IReadOnlyDictionary<string, long> fixedInputs, IReadOnlyDictionary<string, long[]> fixedShapes, int depth)
    {
        if (depth > 32)
        {
            return null;
        }

        if (fixedInputs.TryGetValue(name, out var fixedValue))
        {
            return [fixedValue];
        }

        if (graph.FindInitializer(name) is { } initializer)
        {
            return initializer.ElementCount <= 64 && initializer.ElementType != Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float ? initializer.ToInt64Array() : null;
        }

        var producer = graph.FindProducer(name);
        if (producer is null || producer.Domain.Length > 0)
        {
            return null;
        }

        long[]? In(int i) => i < producer.Inputs.Count ? Evaluate(graph, producer.Inputs[i], fixedInputs, fixedShapes, depth + 1) : null;
        switch (producer.OpType)
        {
            case "Constant" when producer.FindAttribute("value") is { Kind: OnnxAttributeKind.Tensor } attribute:
                {
                    var tensor = attribute.GetTensor();
                    return tensor.ElementCount <= 64 && tensor.ElementType != Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float ? tensor.ToInt64Array() : null;
                }

            case "Shape" when producer.Attributes.Count == 0:
                return fixedShapes.TryGetValue(producer.Inputs[0], out var shape) ? shape : null;
            case "Gather" when (producer.FindAttribute("axis")?.GetInt() ?? 0) == 0:
                {
                    if (In(0) is not { } data || In(1) is not { } indices)
                    {
                        return null;
                    }

                    return indices.All(i => i >= -data.Length && i < data.Length) ? [.. indices.Select(i => data[i < 0 ? i + data.Length : i])] : null;
                }

            case "Squeeze" or "Unsqueeze" or "Identity" or "Reshape":
                return In(0);
            case "Cast":
                // to = 9 is BOOL: any non-zero value is true.
                return In(0) is { } v ? (producer.FindAttribute("to")?.GetInt() == 9 ? [.. v.Select(x => x != 0 ? 1L : 0L)] : v) : null;
            case "Equal" or "Greater" or "Less":
                {
                    if (In(0) is not [var a] || In(1) is not [var b])
                    {
                        return null;
                    }

                    return [(producer.OpType switch { "Equal" => a == b, "Greater" => a > b, _ => a < b }) ? 1L : 0L];
                }

            case "Size":
                return In(0) is { } values ? [values.Length]
                    : fixedShapes.TryGetValue(producer.Inputs[0], out var sizeShape) ? [sizeShape.Aggregate(1L, (a, d) => a * d)] : null;
            case "Not":
                return In(0) is [var n] ? [n == 0 ? 1L : 0L] : null;
            default:
                return null;
        }
    }

    private static IEnumerable<string> AllInputs(IEnumerable<NodeProto> nodes) =>
        nodes.SelectMany(n => n.Input.Concat(n.Attribute.SelectMany(a => a.G is null ? a.Graphs : a.Graphs.Append(a.G)).SelectMany(g => AllInputs(g.Node))));

    private static void RemoveDeadNodes(OnnxGraph graph)
    {
        var outputs = graph.Outputs.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        bool removed;
        do
        {
            // Subgraph bodies may read main-graph tensors by name (outer scope): count every name read at any depth.
            var read = AllInputs(graph.Proto.Node).Concat(outputs).ToHashSet(StringComparer.Ordinal);
            var dead = graph.Proto.Node.Where(n => n.Output.All(o => o.Length == 0 || !read.Contains(o))).ToList();
            dead.ForEach(n => graph.Proto.Node.Remove(n));
            removed = dead.Count > 0;
        }
        while (removed);
    }
}

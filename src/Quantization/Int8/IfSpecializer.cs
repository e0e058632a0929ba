using EdgeAI.Quantization.Onnx;
using EdgeAI.Quantization.Onnx.Proto;

namespace EdgeAI.Quantization.Int8;

/// <summary>
/// Replaces <c>If</c> nodes whose condition is <c>Equal(input, constant)</c> on a graph input the caller fixes
/// (e.g. a sample rate) with the body of the branch that value selects, so the quantizers (which rewrite the
/// main graph only) see the operators inside. The input stays declared, unread, so the model's interface does not change.
/// </summary>
public static class IfSpecializer
{
    /// <summary>Specializes a copy of <paramref name="model"/> for fixed integer values of some graph inputs.</summary>
    /// <param name="model">The model.</param>
    /// <param name="fixedInputs">Graph input name to the value it will always have.</param>
    /// <returns>The copy and the labels of the If nodes replaced.</returns>
    /// <exception cref="NotSupportedException">A branch's tensor names clash with the main graph's.</exception>
    public static (OnnxModel Model, IReadOnlyList<string> Inlined) Specialize(OnnxModel model, IReadOnlyDictionary<string, long> fixedInputs)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(fixedInputs);
        var copy = model.Clone();
        var graph = copy.Graph;
        var inlined = new List<string>();
        foreach (var node in graph.Nodes.Where(n => n.OpType == "If" && n.Domain.Length == 0).ToList())
        {
            if (Evaluate(graph, node.Inputs[0], fixedInputs) is not { } condition)
            {
                continue;
            }

            var branch = node.Proto.Attribute.First(a => a.Name == (condition ? "then_branch" : "else_branch")).G;
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
            inlined.Add(node.Label);
        }

        RemoveDeadNodes(graph);
        graph.SortTopologically();
        copy.Validate();
        return (copy, inlined);
    }

    private static bool? Evaluate(OnnxGraph graph, string condition, IReadOnlyDictionary<string, long> fixedInputs)
    {
        var producer = graph.FindProducer(condition);
        if (producer is null || producer.OpType != "Equal" || producer.Inputs.Count != 2)
        {
            return null;
        }

        long? Value(string name)
        {
            if (fixedInputs.TryGetValue(name, out var v))
            {
                return v;
            }

            var constant = graph.FindInitializer(name);
            if (constant is null && graph.FindProducer(name) is { OpType: "Constant" } c && c.FindAttribute("value") is { Kind: OnnxAttributeKind.Tensor } attribute)
            {
                constant = attribute.GetTensor();
            }

            return constant is not null && constant.ElementCount == 1 ? constant.ToInt64Array()[0] : null;
        }

        return Value(producer.Inputs[0]) is { } a && Value(producer.Inputs[1]) is { } b ? a == b : null;
    }

    private static void RemoveDeadNodes(OnnxGraph graph)
    {
        var outputs = graph.Outputs.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        bool removed;
        do
        {
            var read = graph.Proto.Node.SelectMany(n => n.Input).Concat(outputs).ToHashSet(StringComparer.Ordinal);
            var dead = graph.Proto.Node.Where(n => n.Output.All(o => o.Length == 0 || !read.Contains(o))).ToList();
            dead.ForEach(n => graph.Proto.Node.Remove(n));
            removed = dead.Count > 0;
        }
        while (removed);
    }
}

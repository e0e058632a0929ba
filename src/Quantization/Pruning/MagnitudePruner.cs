using EdgeAI.Quantization.Onnx;

namespace EdgeAI.Quantization.Pruning;

/// <summary>
/// Unstructured magnitude pruning: in every Conv, Gemm and MatMul weight, the given fraction of elements with the
/// smallest absolute value is set to zero. Tensors keep their shape, so file size and ONNX Runtime CPU latency do
/// not change (its kernels are dense); what shrinks is the compressed size (zip, gzip, a delta update), and a
/// sparse kernel or format could use the zeros.
/// </summary>
public static class MagnitudePruner
{
    /// <summary>Operators whose second input (a constant weight) is sparsified.</summary>
    public static IReadOnlySet<string> OpTypes { get; } = new HashSet<string>(["Conv", "Gemm", "MatMul"], StringComparer.Ordinal);

    /// <summary>Zeroes the smallest-magnitude <paramref name="sparsity"/> of each weight in a copy of <paramref name="model"/>.</summary>
    /// <param name="model">The model; not changed.</param>
    /// <param name="sparsity">Fraction of each weight's elements to zero, in [0, 1) (rounded down per tensor).</param>
    /// <param name="excludedNodes">Nodes whose weights stay as they are.</param>
    /// <exception cref="ArgumentException">The sparsity is out of range, or an excluded name is not a node.</exception>
    public static SparsityResult Prune(OnnxModel model, double sparsity, IEnumerable<string>? excludedNodes = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!(sparsity is >= 0 and < 1))
        {
            throw new ArgumentException($"Sparsity is {sparsity}; expected a fraction of weights to zero in [0, 1), e.g. 0.5.", nameof(sparsity));
        }

        model.Validate();
        var copy = model.Clone();
        var graph = copy.Graph;
        var excluded = excludedNodes?.ToHashSet(StringComparer.Ordinal) ?? [];
        var names = graph.Nodes.Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var name in excluded.Where(n => !names.Contains(n)))
        {
            throw new ArgumentException($"Excluded node '{name}' is not a node of graph '{graph.Name}'.", nameof(excludedNodes));
        }

        var layers = new List<LayerSparsity>();
        foreach (var node in graph.Nodes.Where(n => n.Domain.Length == 0 && OpTypes.Contains(n.OpType) && n.Inputs.Count > 1 && !excluded.Contains(n.Name)))
        {
            var weight = graph.FindInitializer(node.Inputs[1]);
            if (weight is null || weight.ElementType != Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float || graph.FindConsumers(weight.Name).Count != 1)
            {
                continue;
            }

            var values = weight.ToSingleArray();
            var zero = (int)Math.Floor(sparsity * values.Length);
            foreach (var i in Enumerable.Range(0, values.Length).OrderBy(i => Math.Abs(values[i])).ThenBy(i => i).Take(zero).ToList())
            {
                values[i] = 0;
            }

            long[] dims = [.. weight.Dims];
            graph.RemoveInitializer(weight.Name);
            graph.AddInitializer(OnnxTensor.FromSingles(weight.Name, values, dims));
            layers.Add(new LayerSparsity(node.Name, weight.Name, values.Length, values.Count(v => v == 0)));
        }

        return new SparsityResult(copy, layers);
    }
}

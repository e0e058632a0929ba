using EdgeAI.Quantization.Calibration;
using EdgeAI.Quantization.Onnx;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeAI.Quantization.Pruning;

/// <summary>
/// How big and how much work a model is: parameters (elements of all initializers and Constant tensors) and
/// multiply-accumulates per sample of its Conv, Gemm and MatMul nodes.
/// </summary>
public sealed class ModelCost
{
    private ModelCost(long parameters, IReadOnlyDictionary<string, long>? macsByNode)
    {
        Parameters = parameters;
        MacsByNode = macsByNode;
    }

    /// <summary>Elements of every initializer and Constant tensor (the count <c>edgeai-quant inspect</c> reports).</summary>
    public long Parameters { get; }

    /// <summary>
    /// Multiply-accumulates per sample by node name (an unnamed node by its first output's name), or
    /// <see langword="null"/> when shapes could not be learned.
    /// </summary>
    public IReadOnlyDictionary<string, long>? MacsByNode { get; }

    /// <summary>Total multiply-accumulates per sample, or <see langword="null"/> when shapes could not be learned.</summary>
    public long? Macs => MacsByNode?.Values.Sum();

    /// <summary>Measures <paramref name="model"/>.</summary>
    /// <param name="model">The model; not changed.</param>
    /// <param name="sample">
    /// One input per graph input, run once in ONNX Runtime to learn every tensor's shape; MACs are divided by the
    /// batch size (first dimension of the first input). When <see langword="null"/>, zeros shaped as the graph
    /// declares its inputs (symbolic dimensions 1) are used, and MACs are left unknown if a shape is not declared.
    /// </param>
    public static ModelCost Measure(OnnxModel model, IReadOnlyDictionary<string, NpyArray>? sample = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        sample ??= ZeroSample(model.Graph);
        return new ModelCost(CountParameters(model), sample is null ? null : MacsPerNode(model, sample));
    }

    /// <summary>Elements of every initializer and Constant tensor of the main graph (no ONNX Runtime run).</summary>
    public static long CountParameters(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var graph = model.Graph;
        return graph.Initializers.Sum(t => t.ElementCount) + graph.Nodes
            .Where(n => n.OpType == "Constant" && n.Domain.Length == 0)
            .Select(n => n.FindAttribute("value"))
            .Sum(a => a is { Kind: OnnxAttributeKind.Tensor } ? a.GetTensor().ElementCount : 0);
    }

    /// <summary>Parameters of the given nodes' constant inputs (weights and biases), counted once each.</summary>
    internal static long NodeParameters(OnnxGraph graph, IEnumerable<string> nodeNames)
    {
        var names = nodeNames.ToHashSet(StringComparer.Ordinal);
        return graph.Nodes.Where(n => names.Contains(ChannelGraph.Key(n.Proto))).SelectMany(n => n.Inputs.Skip(1)).Distinct(StringComparer.Ordinal)
            .Select(graph.FindInitializer).Sum(t => t?.ElementCount ?? 0);
    }

    private static Dictionary<string, long> MacsPerNode(OnnxModel model, IReadOnlyDictionary<string, NpyArray> sample)
    {
        var shapes = TensorShapeProbe.Probe(model, sample);
        var graph = model.Graph;
        long[]? Shape(string name)
        {
            if (sample.TryGetValue(name, out var array))
            {
                return [.. array.Shape];
            }

            var info = shapes.TryGetValue(name, out var probed) ? probed : graph.FindTensorInfo(name);
            return info?.Shape is { } dims && dims.All(d => d.Value is not null) ? [.. dims.Select(d => d.Value!.Value)] : null;
        }

        var batch = sample.Values.FirstOrDefault()?.Shape is [> 0 and var b, ..] ? b : 1;
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var node in graph.Nodes.Where(n => n.Domain.Length == 0 && n.Outputs.Count > 0))
        {
            var output = Shape(node.Outputs[0]);
            var first = node.Inputs.Count > 0 ? Shape(node.Inputs[0]) : null;
            var second = node.Inputs.Count > 1 ? Shape(node.Inputs[1]) : null;
            if (output is null || second is null || first is null)
            {
                continue;
            }

            var outputElements = output.Aggregate(1L, (a, d) => a * d);
            long? perOutput = node.OpType switch
            {
                "Conv" => second.Skip(1).Aggregate(1L, (a, d) => a * d),
                "Gemm" => (node.FindAttribute("transA")?.GetInt() ?? 0) == 1 ? first[0] : first[^1],
                "MatMul" => first[^1],
                _ => null,
            };
            if (perOutput is { } k)
            {
                result[ChannelGraph.Key(node.Proto)] = outputElements * k / batch;
            }
        }

        return result;
    }

    private static Dictionary<string, NpyArray>? ZeroSample(OnnxGraph graph)
    {
        var initializers = graph.Initializers.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var sample = new Dictionary<string, NpyArray>(StringComparer.Ordinal);
        foreach (var input in graph.Inputs.Where(i => !initializers.Contains(i.Name)))
        {
            if (input.Shape is null || input.ElementType is not (TensorElementType.Float or TensorElementType.Int64) || input.Shape.Any(d => d.Value is null && d.Parameter is null))
            {
                return null;
            }

            long[] dims = [.. input.Shape.Select(d => d.Value ?? 1)];
            sample[input.Name] = NpyArray.FromSingles(new float[dims.Aggregate(1L, (a, d) => a * d)], dims);
        }

        return sample;
    }
}

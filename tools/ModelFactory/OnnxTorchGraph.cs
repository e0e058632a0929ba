using EdgeAI.Quantization.Onnx;
using TensorElementType = Microsoft.ML.OnnxRuntime.Tensors.TensorElementType;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EdgeAI.ModelFactory;

/// <summary>
/// Runs an ONNX graph (our own IR, <see cref="OnnxModel"/>) as a TorchSharp computation, so a model that exists only
/// as ONNX (e.g. after channel pruning) can be trained further: the float initializers feeding Conv weights/biases and
/// Gemm B/C become trainable parameters, every other initializer is a constant, and <see cref="ToModel"/> writes the
/// trained values back into the same graph (nodes, names and shapes unchanged).
/// </summary>
/// <remarks>
/// A small interpreter for the operators our CNNs use (<see cref="SupportedOps"/>), float32 only, 2-D convolutions.
/// Any other operator, a Conv with <c>auto_pad</c>, or a shape/axes input that is not an int64 initializer is refused at
/// construction with a message naming the node. Not thread-safe.
/// </remarks>
internal sealed class OnnxTorchGraph : IDisposable
{
    /// <summary>Operators the interpreter runs.</summary>
    public static readonly IReadOnlySet<string> SupportedOps = new HashSet<string>(StringComparer.Ordinal)
    {
        "Conv", "Relu", "Clip", "Sigmoid", "Add", "Sub", "Mul", "Div", "GlobalAveragePool", "GlobalMaxPool", "ReduceMean", "Flatten", "Gemm",
        "Concat", "Reshape", "Identity",
    };

    private readonly OnnxModel _model;
    private readonly IReadOnlyList<OnnxNode> _order;
    private readonly Dictionary<string, Tensor> _constants = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long[]> _integers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (Parameter Value, long[] Dims)> _parameters = new(StringComparer.Ordinal);
    private readonly string[] _outputs;

    /// <summary>Builds the computation over a copy of <paramref name="model"/>'s initializers.</summary>
    /// <exception cref="NotSupportedException">A node uses an operator, attribute or input form the interpreter does not run; the message names the node.</exception>
    /// <exception cref="OnnxFormatException">The model is not valid.</exception>
    public OnnxTorchGraph(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        model.Validate();
        _model = model;
        var graph = model.Graph;
        _order = graph.GetTopologicalOrder();
        _outputs = [.. graph.Outputs.Select(o => o.Name)];
        var trainable = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in _order)
        {
            CheckSupported(node);
            if (node.OpType is "Conv" or "Gemm")
            {
                trainable.UnionWith(node.Inputs.Skip(1).Where(i => i.Length > 0));
            }
        }

        foreach (var init in graph.Initializers)
        {
            switch (init.ElementType)
            {
                case TensorElementType.Float when trainable.Contains(init.Name):
                    var dims = init.Dims.ToArray();
                    _parameters[init.Name] = (new Parameter(tensor(init.ToSingleArray(), dims)), dims);
                    break;
                case TensorElementType.Float:
                    _constants[init.Name] = tensor(init.ToSingleArray(), [.. init.Dims]);
                    break;
                case TensorElementType.Int64:
                    _integers[init.Name] = init.ToInt64Array();
                    break;
                default:
                    break; // Only an operator reading it could fail; CheckSupported allows none that do.
            }
        }

        foreach (var node in _order.Where(n => n.OpType is "Reshape" or "ReduceMean" && n.Inputs.Count > 1 && n.Inputs[1].Length > 0))
        {
            if (!_integers.ContainsKey(node.Inputs[1]))
            {
                throw new NotSupportedException($"Node {node.Label}: input '{node.Inputs[1]}' must be an int64 initializer (a shape or axes computed at run time is not supported for fine-tuning).");
            }
        }
    }

    /// <summary>The trainable tensors (Conv weights and biases, Gemm B and C), by initializer name.</summary>
    public IEnumerable<Parameter> Parameters => _parameters.Values.Select(p => p.Value);

    /// <summary>Number of trainable values.</summary>
    public long ParameterCount => _parameters.Values.Sum(p => p.Value.numel());

    /// <summary>Runs the graph on <paramref name="inputs"/> (by graph-input name) and returns the graph outputs by name.</summary>
    /// <exception cref="ArgumentException">A graph input is missing from <paramref name="inputs"/>.</exception>
    public Dictionary<string, Tensor> Forward(IReadOnlyDictionary<string, Tensor> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var values = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var input in _model.Graph.Inputs.Where(i => !_parameters.ContainsKey(i.Name) && !_constants.ContainsKey(i.Name) && !_integers.ContainsKey(i.Name)))
        {
            values[input.Name] = inputs.TryGetValue(input.Name, out var t)
                ? t
                : throw new ArgumentException($"Graph input '{input.Name}' was not given; inputs given: {string.Join(", ", inputs.Keys)}.", nameof(inputs));
        }

        Tensor Get(string name) =>
            values.TryGetValue(name, out var v) ? v
            : _parameters.TryGetValue(name, out var p) ? p.Value
            : _constants.TryGetValue(name, out var c) ? c
            : throw new InvalidOperationException($"Tensor '{name}' has no value (not an input, an initializer or an earlier node's output).");

        foreach (var node in _order)
        {
            values[node.Outputs[0]] = Run(node, Get);
        }

        return _outputs.ToDictionary(o => o, Get, StringComparer.Ordinal);
    }

    /// <summary>A copy of the model with the trained values in place of the original initializers (same names and shapes).</summary>
    public OnnxModel ToModel()
    {
        var copy = _model.Clone();
        foreach (var (name, (value, dims)) in _parameters)
        {
            var data = value.detach().contiguous().cpu().data<float>().ToArray();
            copy.Graph.RemoveInitializer(name);
            copy.Graph.AddInitializer(OnnxTensor.FromSingles(name, data, dims));
        }

        copy.Validate();
        return copy;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var (value, _) in _parameters.Values)
        {
            value.Dispose();
        }

        foreach (var c in _constants.Values)
        {
            c.Dispose();
        }
    }

    private static void CheckSupported(OnnxNode node)
    {
        if (node.Domain is not ("" or "ai.onnx") || !SupportedOps.Contains(node.OpType))
        {
            var domain = node.Domain.Length > 0 ? $" of domain '{node.Domain}'" : "";
            throw new NotSupportedException($"Node {node.Label}{domain}: fine-tuning runs only the ONNX operators {string.Join(", ", SupportedOps)}.");
        }

        if (node.Outputs.Count != 1)
        {
            throw new NotSupportedException($"Node {node.Label} has {node.Outputs.Count} outputs; fine-tuning expects one.");
        }

        if (node.OpType == "Conv" && node.FindAttribute("auto_pad") is { } autoPad && autoPad.GetString() != "NOTSET")
        {
            throw new NotSupportedException($"Node {node.Label} uses auto_pad {autoPad.GetString()}; fine-tuning expects explicit pads.");
        }
    }

    private Tensor Run(OnnxNode node, Func<string, Tensor> get)
    {
        var x = get(node.Inputs[0]);
        return node.OpType switch
        {
            "Conv" => Conv(node, x, get(node.Inputs[1]), node.Inputs.Count > 2 && node.Inputs[2].Length > 0 ? get(node.Inputs[2]) : null),
            "Relu" => nn.functional.relu(x),
            "Sigmoid" => x.sigmoid(),
            "Clip" => Clip(node, x, get),
            "Add" => x + get(node.Inputs[1]),
            "Sub" => x - get(node.Inputs[1]),
            "Mul" => x * get(node.Inputs[1]),
            "Div" => x / get(node.Inputs[1]),
            "GlobalAveragePool" => x.mean([.. Enumerable.Range(2, (int)x.dim() - 2).Select(i => (long)i)], keepdim: true),
            "GlobalMaxPool" => x.amax([.. Enumerable.Range(2, (int)x.dim() - 2).Select(i => (long)i)], keepdim: true),
            "ReduceMean" => ReduceMean(node, x),
            "Flatten" => Flatten(node, x),
            "Gemm" => Gemm(node, x, get(node.Inputs[1]), node.Inputs.Count > 2 && node.Inputs[2].Length > 0 ? get(node.Inputs[2]) : null),
            "Concat" => cat([.. node.Inputs.Select(get)], Axis(node.FindAttribute("axis")?.GetInt() ?? throw Missing(node, "axis"), x.dim())),
            "Reshape" => Reshape(x, _integers[node.Inputs[1]]),
            "Identity" => x.alias(),
            _ => throw new NotSupportedException($"Node {node.Label} is not supported."),
        };
    }

    /// <summary>ONNX Conv (2-D): pads are [top, left, bottom, right]; unequal ones are applied by an explicit zero pad.</summary>
    private static Tensor Conv(OnnxNode node, Tensor x, Tensor w, Tensor? b)
    {
        if (w.dim() != 4)
        {
            throw new NotSupportedException($"Node {node.Label} has a {w.dim()}-D weight; fine-tuning runs 2-D convolutions (4-D weights) only.");
        }

        var strides = node.FindAttribute("strides")?.GetInts() ?? [1, 1];
        var dilations = node.FindAttribute("dilations")?.GetInts() ?? [1, 1];
        var pads = node.FindAttribute("pads")?.GetInts() ?? [0, 0, 0, 0];
        var group = node.FindAttribute("group")?.GetInt() ?? 1;
        if (pads[0] != pads[2] || pads[1] != pads[3])
        {
            x = nn.functional.pad(x, [pads[1], pads[3], pads[0], pads[2]]);
            pads = [0, 0, 0, 0];
        }

        return nn.functional.conv2d(x, w, b, strides, [pads[0], pads[1]], dilations, group);
    }

    private Tensor Clip(OnnxNode node, Tensor x, Func<string, Tensor> get)
    {
        // Opset >= 11 takes min/max as optional inputs, older opsets as attributes.
        Tensor? Bound(int index, string attribute) =>
            node.Inputs.Count > index && node.Inputs[index].Length > 0 ? get(node.Inputs[index])
            : node.FindAttribute(attribute) is { } a ? tensor(a.GetFloat()) : null;
        var min = Bound(1, "min");
        var max = Bound(2, "max");
        x = min is null ? x : maximum(x, min);
        return max is null ? x.alias() : minimum(x, max);
    }

    private Tensor ReduceMean(OnnxNode node, Tensor x)
    {
        // Opset 18 moved axes from an attribute to an optional input.
        var axes = node.Inputs.Count > 1 && node.Inputs[1].Length > 0 ? _integers[node.Inputs[1]] : node.FindAttribute("axes")?.GetInts();
        var keep = (node.FindAttribute("keepdims")?.GetInt() ?? 1) != 0;
        if (axes is null or { Length: 0 })
        {
            if ((node.FindAttribute("noop_with_empty_axes")?.GetInt() ?? 0) != 0)
            {
                return x.alias();
            }

            axes = [.. Enumerable.Range(0, (int)x.dim()).Select(i => (long)i)];
        }

        return x.mean([.. axes.Select(a => Axis(a, x.dim()))], keepdim: keep);
    }

    private static Tensor Flatten(OnnxNode node, Tensor x)
    {
        var axis = Axis(node.FindAttribute("axis")?.GetInt() ?? 1, x.dim() + 1);
        long outer = 1;
        for (var i = 0; i < axis; i++)
        {
            outer *= x.shape[i];
        }

        return x.reshape(outer, -1);
    }

    private static Tensor Gemm(OnnxNode node, Tensor a, Tensor b, Tensor? c)
    {
        if ((node.FindAttribute("transA")?.GetInt() ?? 0) != 0)
        {
            a = a.t();
        }

        if ((node.FindAttribute("transB")?.GetInt() ?? 0) != 0)
        {
            b = b.t();
        }

        var alpha = node.FindAttribute("alpha")?.GetFloat() ?? 1f;
        var beta = node.FindAttribute("beta")?.GetFloat() ?? 1f;
        var y = a.mm(b);
        y = alpha == 1f ? y : y * alpha;
        return c is null ? y : y + (beta == 1f ? c : c * beta);
    }

    /// <summary>ONNX Reshape without allowzero: 0 copies the input's dimension, -1 is inferred.</summary>
    private static Tensor Reshape(Tensor x, long[] shape) =>
        x.reshape([.. shape.Select((d, i) => d == 0 ? x.shape[i] : d)]);

    private static long Axis(long axis, long rank) => axis < 0 ? axis + rank : axis;

    private static NotSupportedException Missing(OnnxNode node, string attribute) =>
        new($"Node {node.Label} has no '{attribute}' attribute.");
}

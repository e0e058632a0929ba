using EdgeAI.Quantization.Onnx;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeAI.Quantization.Int8;

/// <summary>Carries out <see cref="DynamicQuantizer.Quantize"/> on a copy of the model.</summary>
internal sealed class DynamicRewriter
{
    private readonly OnnxModel _model;
    private readonly OnnxGraph _graph;
    private readonly DynamicQuantizationOptions _options;
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly HashSet<string> _graphInputs;
    private readonly List<string> _quantized = [];
    private readonly List<string> _skipped = [];
    private readonly HashSet<string> _replaced = new(StringComparer.Ordinal);

    public DynamicRewriter(OnnxModel model, DynamicQuantizationOptions options)
    {
        _model = model;
        _graph = model.Graph;
        _options = options;
        foreach (var node in _graph.Nodes)
        {
            _names.Add(node.Name);
            _names.UnionWith(node.Inputs);
            _names.UnionWith(node.Outputs);
        }

        _graphInputs = _graph.Inputs.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        _names.UnionWith(_graphInputs);
        _names.UnionWith(_graph.Outputs.Select(o => o.Name));
        _names.UnionWith(_graph.Initializers.Select(t => t.Name));
    }

    public QuantizationResult Run()
    {
        foreach (var node in _graph.GetTopologicalOrder())
        {
            if (node.OpType == "GRU" && node.Domain.Length == 0)
            {
                _skipped.Add($"Node {node.Label}: stays fp32: ONNX Runtime has no int8 GRU kernel.");
                continue;
            }

            if (!IsCandidate(node))
            {
                continue;
            }

            if (_options.ExcludedNodes.Contains(node.Name))
            {
                _skipped.Add($"Node {node.Label}: excluded by {nameof(DynamicQuantizationOptions)}.{nameof(DynamicQuantizationOptions.ExcludedNodes)}.");
                continue;
            }

            var label = node.Label;
            var reason = node.OpType switch
            {
                "LSTM" => RewriteLstm(node),
                "Attention" => RewriteAttention(node),
                _ => RewriteMatMul(node),
            };
            if (reason is null)
            {
                _quantized.Add(label);
            }
            else
            {
                _skipped.Add($"Node {label}: {reason}");
            }
        }

        if (_quantized.Count > 0 && _model.GetOpset(DynamicQuantizer.MicrosoftDomain) is null)
        {
            _model.SetOpset(DynamicQuantizer.MicrosoftDomain, 1);
        }

        var read = _graph.Nodes.SelectMany(n => n.Inputs).Concat(_graph.Outputs.Select(o => o.Name)).ToHashSet(StringComparer.Ordinal);
        foreach (var name in _replaced.Where(n => !read.Contains(n)))
        {
            _graph.RemoveInitializer(name);
        }

        _graph.SortTopologically();
        _model.Validate();
        return new QuantizationResult(_model, _quantized, _skipped);
    }

    /// <summary>MatMul or Gemm with a constant 2-D weight → DynamicQuantizeMatMul; returns why not, or null when done.</summary>
    private string? RewriteMatMul(OnnxNode node)
    {
        if (node.Inputs.Count < 2 || node.Outputs.Count != 1)
        {
            return "unexpected number of inputs or outputs.";
        }

        if (ConstantWeight(node.Inputs[1], out var reason) is not { } weight)
        {
            return reason;
        }

        if (weight.Dims.Count != 2)
        {
            return $"weight '{weight.Name}' has rank {weight.Dims.Count}; DynamicQuantizeMatMul takes a 2-D weight.";
        }

        var values = weight.ToSingleArray();
        long rows = weight.Dims[0], cols = weight.Dims[1];
        float[]? bias = null;
        if (node.OpType == "Gemm")
        {
            var alpha = node.FindAttribute("alpha")?.GetFloat() ?? 1f;
            var beta = node.FindAttribute("beta")?.GetFloat() ?? 1f;
            if (alpha != 1f || (node.FindAttribute("transA")?.GetInt() ?? 0) != 0)
            {
                return "Gemm with alpha ≠ 1 or transA is not supported.";
            }

            if ((node.FindAttribute("transB")?.GetInt() ?? 0) != 0)
            {
                values = Transpose(values, rows, cols);
                (rows, cols) = (cols, rows);
            }

            if (node.Inputs.Count > 2 && node.Inputs[2].Length > 0)
            {
                var c = _graph.FindInitializer(node.Inputs[2]);
                if (c is null || _graphInputs.Contains(c.Name) || c.ElementCount != cols || c.Dims.Count(d => d != 1) > 1 || (c.Dims.Count > 0 && c.Dims[^1] != cols))
                {
                    return $"bias '{node.Inputs[2]}' is not a constant of {cols} elements along the last axis.";
                }

                bias = [.. c.ToSingleArray().Select(v => v * beta)];
            }
        }

        var (q, s, z) = AddPerColumnWeight(weight.Name, values, rows, cols);
        List<string> inputs = [node.Inputs[0], q, s, z];
        if (bias is not null)
        {
            inputs.Add(_graph.AddInitializer(OnnxTensor.FromSingles(Unique(node.Inputs[2] + "_bias"), bias, cols)).Name);
            _replaced.Add(node.Inputs[2]);
        }

        _replaced.Add(weight.Name);
        Replace(node, "DynamicQuantizeMatMul", inputs, []);
        return null;
    }

    /// <summary>
    /// com.microsoft Attention with a constant [input_hidden, 3·hidden] weight → QAttention fed by a
    /// DynamicQuantizeLinear of its input (uint8, scale and zero point computed per call), as ONNX Runtime's
    /// own quantizer does; returns why not, or null when done.
    /// </summary>
    private string? RewriteAttention(OnnxNode node)
    {
        if (node.Inputs.Count < 3 || node.Inputs[2].Length == 0 || node.Outputs.Count is < 1 or > 2)
        {
            return "unexpected inputs or outputs (expected input, weights, bias, optional mask_index and past; output and optional present).";
        }

        if (node.Inputs.Skip(5).Any(i => i.Length > 0))
        {
            return "inputs after 'past' (attention_bias, past_sequence_length) have no QAttention equivalent.";
        }

        var unsupported = node.Attributes.Select(a => a.Name).Where(n => n is not ("num_heads" or "unidirectional")).ToList();
        if (unsupported.Count > 0)
        {
            return $"attribute(s) {string.Join(", ", unsupported)} have no QAttention equivalent (it takes num_heads and unidirectional).";
        }

        if ((_model.GetOpset() ?? 0) < 11)
        {
            return $"the model imports opset {_model.GetOpset() ?? 0}; DynamicQuantizeLinear needs 11 or later.";
        }

        if (ConstantWeight(node.Inputs[1], out var reason) is not { } weight)
        {
            return reason;
        }

        if (weight.Dims.Count != 2 || weight.Dims[1] % 3 != 0)
        {
            return $"weight '{weight.Name}' is [{string.Join(", ", weight.Dims)}]; QAttention takes [input_hidden, 3·hidden].";
        }

        var (q, s, z) = AddPerColumnWeight(weight.Name, weight.ToSingleArray(), weight.Dims[0], weight.Dims[1]);
        var input = node.Inputs[0];
        string[] quantizedInput = [Unique(input + "_quantized"), Unique(input + "_scale"), Unique(input + "_zero_point")];
        _graph.AddNode("DynamicQuantizeLinear", [input], quantizedInput, Unique(input + "_DynamicQuantizeLinear"));
        List<string> inputs =
        [
            quantizedInput[0], q, node.Inputs[2], quantizedInput[1], s,
            node.Inputs.Count > 3 ? node.Inputs[3] : "",
            quantizedInput[2], z,
            node.Inputs.Count > 4 ? node.Inputs[4] : "",
        ];
        _replaced.Add(weight.Name);
        Replace(node, "QAttention", inputs, [.. node.Attributes]);
        return null;
    }

    /// <summary>Adds <paramref name="values"/> ([rows, cols]) as int8 with one symmetric scale per column; returns the names of the weight, scales and zero points.</summary>
    private (string Weight, string Scale, string ZeroPoint) AddPerColumnWeight(string name, float[] values, long rows, long cols)
    {
        var quantized = new sbyte[values.Length];
        var scales = QuantMath.QuantizeInt8PerChannel(values, [rows, cols], 1, quantized);
        var q = _graph.AddInitializer(OnnxTensor.FromInt8s(Unique(name + "_quantized"), quantized, rows, cols)).Name;
        var s = _graph.AddInitializer(OnnxTensor.FromSingles(Unique(name + "_scale"), scales, cols)).Name;
        var z = _graph.AddInitializer(OnnxTensor.FromInt8s(Unique(name + "_zero_point"), new sbyte[cols], cols)).Name;
        return (q, s, z);
    }

    /// <summary>A node of a selected op type in its domain: com.microsoft for Attention, the default domain for the rest.</summary>
    private bool IsCandidate(OnnxNode node) =>
        _options.OpTypes.Contains(node.OpType) && node.Domain == (node.OpType == "Attention" ? DynamicQuantizer.MicrosoftDomain : "");

    /// <summary>LSTM with constant W and R → DynamicQuantizeLSTM; returns why not, or null when done.</summary>
    private string? RewriteLstm(OnnxNode node)
    {
        if (node.Inputs.Count < 3)
        {
            return "unexpected number of inputs.";
        }

        if ((node.FindAttribute("layout")?.GetInt() ?? 0) != 0)
        {
            return "LSTM with layout = 1 (batch first) is not supported by DynamicQuantizeLSTM.";
        }

        if (ConstantWeight(node.Inputs[1], out var reason) is not { } w || ConstantWeight(node.Inputs[2], out reason) is not { } r)
        {
            return reason;
        }

        if (w.Dims.Count != 3 || r.Dims.Count != 3 || w.Dims[0] != r.Dims[0] || w.Dims[1] != r.Dims[1] || r.Dims[1] != 4 * r.Dims[2])
        {
            return $"W [{string.Join(", ", w.Dims)}] and R [{string.Join(", ", r.Dims)}] are not [directions, 4·hidden, input] and [directions, 4·hidden, hidden].";
        }

        // ONNX keeps W as [directions, 4H, input]; DynamicQuantizeLSTM wants [directions, input, 4H] with one scale
        // per column (per gate unit), so each direction is transposed and quantized per column.
        var (wq, ws) = QuantizeTransposedPerColumn(w);
        var (rq, rs) = QuantizeTransposedPerColumn(r);
        long dirs = w.Dims[0], gates = w.Dims[1];
        var wName = _graph.AddInitializer(OnnxTensor.FromInt8s(Unique(w.Name + "_quantized"), wq, dirs, w.Dims[2], gates)).Name;
        var rName = _graph.AddInitializer(OnnxTensor.FromInt8s(Unique(r.Name + "_quantized"), rq, dirs, r.Dims[2], gates)).Name;
        var wScale = _graph.AddInitializer(OnnxTensor.FromSingles(Unique(w.Name + "_scale"), ws, dirs, gates)).Name;
        var wZero = _graph.AddInitializer(OnnxTensor.FromInt8s(Unique(w.Name + "_zero_point"), new sbyte[ws.Length], dirs, gates)).Name;
        var rScale = _graph.AddInitializer(OnnxTensor.FromSingles(Unique(r.Name + "_scale"), rs, dirs, gates)).Name;
        var rZero = _graph.AddInitializer(OnnxTensor.FromInt8s(Unique(r.Name + "_zero_point"), new sbyte[rs.Length], dirs, gates)).Name;

        List<string> inputs = [node.Inputs[0], wName, rName];
        for (var i = 3; i < 8; i++)
        {
            inputs.Add(i < node.Inputs.Count ? node.Inputs[i] : "");
        }

        inputs.AddRange([wScale, wZero, rScale, rZero]);
        _replaced.Add(w.Name);
        _replaced.Add(r.Name);
        Replace(node, "DynamicQuantizeLSTM", inputs, [.. node.Attributes.Where(a => a.Name != "layout")]);
        return null;
    }

    private (sbyte[] Quantized, float[] Scales) QuantizeTransposedPerColumn(OnnxTensor weight)
    {
        var values = weight.ToSingleArray();
        long dirs = weight.Dims[0], rows = weight.Dims[1], cols = weight.Dims[2];
        var quantized = new sbyte[values.Length];
        var scales = new float[dirs * rows];
        var slice = checked((int)(rows * cols));
        for (var d = 0; d < dirs; d++)
        {
            var transposed = Transpose(values.AsSpan(d * slice, slice).ToArray(), rows, cols);
            var s = QuantMath.QuantizeInt8PerChannel(transposed, [cols, rows], 1, quantized.AsSpan(d * slice, slice));
            s.CopyTo(scales.AsSpan((int)(d * rows)));
        }

        return (quantized, scales);
    }

    private OnnxTensor? ConstantWeight(string name, out string reason)
    {
        reason = "";
        var weight = _graph.FindInitializer(name);
        if (weight is null)
        {
            reason = $"weight '{name}' is not an initializer.";
            return null;
        }

        if (_graphInputs.Contains(name))
        {
            reason = $"weight '{name}' is also a graph input (can be overridden at run time).";
            return null;
        }

        if (weight.ElementType != TensorElementType.Float)
        {
            reason = $"weight '{name}' is {weight.ElementType}, not float.";
            return null;
        }

        if (weight.ElementCount < _options.MinimumWeightElements)
        {
            reason = $"weight '{name}' has {weight.ElementCount} elements, fewer than {nameof(DynamicQuantizationOptions.MinimumWeightElements)} ({_options.MinimumWeightElements}).";
            return null;
        }

        return weight;
    }

    private void Replace(OnnxNode node, string opType, List<string> inputs, List<OnnxAttribute> attributes)
    {
        var index = _graph.Nodes.ToList().IndexOf(node);
        var outputs = node.Outputs.ToList();
        var name = node.Name;
        _graph.RemoveNode(node);
        _graph.InsertNode(index, opType, inputs, outputs, name.Length > 0 ? name : null, attributes, DynamicQuantizer.MicrosoftDomain);
    }

    private static float[] Transpose(float[] values, long rows, long cols)
    {
        var result = new float[values.Length];
        for (long i = 0; i < rows; i++)
        {
            for (long j = 0; j < cols; j++)
            {
                result[(j * rows) + i] = values[(i * cols) + j];
            }
        }

        return result;
    }

    private string Unique(string name)
    {
        var candidate = name;
        for (var i = 1; !_names.Add(candidate); i++)
        {
            candidate = $"{name}_{i}";
        }

        return candidate;
    }
}

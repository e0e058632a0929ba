using System.Globalization;
using EdgeAI.Quantization.Calibration;
using EdgeAI.Quantization.Onnx;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeAI.Quantization.Int8;

/// <summary>
/// Carries out <see cref="StaticQuantizer.Quantize"/> on a copy of the model. Walks the graph in topological order and
/// keeps, for every tensor that is available in int8, its quantized form and the DequantizeLinear output standing for
/// it, so that a following operator reads the quantized tensor (pass-through and rescale operators) or the
/// dequantized one (operators ONNX Runtime fuses as DQ → op → Q) without a second QuantizeLinear.
/// </summary>
internal sealed class QdqRewriter
{
    private readonly OnnxModel _model;
    private readonly OnnxGraph _graph;
    private readonly CalibrationResult _calibration;
    private readonly StaticQuantizationOptions _options;
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly HashSet<string> _graphOutputs;
    private readonly Dictionary<string, QuantizedTensor> _domain = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Name, int Axis), (string Dequantized, float[] Scales)> _weights = [];
    private readonly Dictionary<string, string> _constants = new(StringComparer.Ordinal);
    private readonly List<string> _quantized = [];
    private readonly List<string> _skipped = [];
    private readonly HashSet<string> _removableInitializers = new(StringComparer.Ordinal);
    private readonly HashSet<OnnxNode> _addedNodes = [];
    private readonly HashSet<OnnxNode> _removedNodes = [];

    public QdqRewriter(OnnxModel model, CalibrationResult calibration, StaticQuantizationOptions options)
    {
        _model = model;
        _graph = model.Graph;
        _calibration = calibration;
        _options = options;
        foreach (var node in _graph.Nodes)
        {
            _names.Add(node.Name);
            _names.UnionWith(node.Inputs);
            _names.UnionWith(node.Outputs);
        }

        _names.UnionWith(_graph.Inputs.Select(i => i.Name));
        _graphOutputs = _graph.Outputs.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        _names.UnionWith(_graphOutputs);
        _names.UnionWith(_graph.Initializers.Select(t => t.Name));
    }

    /// <summary>A tensor available in int8: the quantized tensor, the float tensor that dequantizes it, and the parameters.</summary>
    private sealed record QuantizedTensor(string Quantized, string Dequantized, string Scale, string ZeroPoint, QuantParameters Parameters);

    public QuantizationResult Run()
    {
        foreach (var node in _graph.GetTopologicalOrder())
        {
            if (node.Domain.Length > 0 || !_options.OpTypes.Contains(node.OpType) || _removedNodes.Contains(node))
            {
                continue;
            }

            var kind = QdqOperators.KindOf(node.OpType);
            if ((kind is QdqOperatorKind.PassThrough or QdqOperatorKind.Rescale) && (node.Inputs.Count == 0 || !_domain.ContainsKey(node.Inputs[0])))
            {
                // Nothing quantized flows in (a shape computation, or an fp32 neighbour): the node stays as it is.
                continue;
            }

            if (_options.ExcludedNodes.Contains(node.Name))
            {
                _skipped.Add($"Node {node.Label}: excluded by {nameof(StaticQuantizationOptions)}.{nameof(StaticQuantizationOptions.ExcludedNodes)}.");
                continue;
            }

            var reason = kind switch
            {
                QdqOperatorKind.Weighted => RewriteWeighted(node),
                QdqOperatorKind.Activation => RewriteActivation(node),
                QdqOperatorKind.PassThrough => RewritePassThrough(node),
                _ => RewriteRescale(node),
            };
            if (reason is null)
            {
                _quantized.Add(node.Label);
            }
            else
            {
                _skipped.Add($"Node {node.Label}: {reason}");
            }
        }

        KeepFloatLayersFloat();
        RemoveDeadQdq();
        RemoveUnusedInitializers();
        _graph.SortTopologically();
        _model.Validate();
        return new QuantizationResult(_model, _quantized, _skipped);
    }

    /// <summary>Conv, ConvTranspose, Gemm, MatMul. Returns null when rewritten, else why not.</summary>
    private string? RewriteWeighted(OnnxNode node)
    {
        if (node.Inputs.Count < 2 || node.Outputs.Count != 1)
        {
            return "unexpected number of inputs or outputs.";
        }

        if (!HasRange(node.Inputs[0]))
        {
            return $"no calibrated range for input '{node.Inputs[0]}'.";
        }

        if (_options.QuantizeOutputs && !HasRange(node.Outputs[0]))
        {
            return $"no calibrated range for output '{node.Outputs[0]}'.";
        }

        var weight = _graph.FindInitializer(node.Inputs[1]);
        if (weight is not null && _graph.Inputs.Any(i => i.Name == weight.Name))
        {
            return $"weight '{weight.Name}' is also a graph input, so a caller may replace it at run time.";
        }

        if (weight is not null && weight.ElementType != TensorElementType.Float)
        {
            return $"weight '{weight.Name}' is {weight.ElementType}, not Float.";
        }

        int axis;
        switch (node.OpType)
        {
            case "Conv" when weight is not null && weight.Dims.Count >= 3:
                axis = 0;
                break;
            case "ConvTranspose" when weight is not null && weight.Dims.Count >= 3 && (node.FindAttribute("group")?.GetInt() ?? 1) == 1:
                // ConvTranspose weights are [C_in, C_out / group, kH, kW]: output channels on axis 1.
                axis = 1;
                break;
            case "ConvTranspose" when weight is not null && weight.Dims.Count >= 3:
                return "grouped ConvTranspose: per-output-channel weight scales need group = 1.";
            case "Gemm" when weight is not null && weight.Dims.Count == 2:
                axis = node.FindAttribute("transB")?.GetInt() == 1 ? 0 : 1;
                break;
            case "MatMul" when weight is not null && weight.Dims.Count == 2:
                axis = 1;
                break;
            case "MatMul" when weight is null:
                if (!HasRange(node.Inputs[1]))
                {
                    return $"no calibrated range for input '{node.Inputs[1]}'.";
                }

                node.SetInput(0, Dequantized(node.Inputs[0]).Dequantized);
                node.SetInput(1, Dequantized(node.Inputs[1]).Dequantized);
                if (_options.QuantizeOutputs)
                {
                    QuantizeOutput(node);
                }

                return null;
            default:
                return weight is null
                    ? $"weight '{node.Inputs[1]}' is not an initializer."
                    : $"weight '{weight.Name}' has rank {weight.Dims.Count}, not the rank {node.OpType} quantization handles.";
        }

        OnnxTensor? bias = null;
        if (node.Inputs.Count > 2 && node.Inputs[2].Length > 0)
        {
            var candidate = _graph.FindInitializer(node.Inputs[2]);
            var unitGemm = node.OpType != "Gemm"
                || ((node.FindAttribute("alpha")?.GetFloat() ?? 1f) == 1f && (node.FindAttribute("beta")?.GetFloat() ?? 1f) == 1f);
            if (candidate is not null && candidate.ElementType == TensorElementType.Float && candidate.Dims.Count == 1
                && candidate.Dims[0] == weight.Dims[axis] && unitGemm)
            {
                bias = candidate;
            }
        }

        var input = Dequantized(node.Inputs[0]);
        node.SetInput(0, input.Dequantized);
        var (dequantizedWeight, weightScales) = WeightDequantized(weight, axis);
        node.SetInput(1, dequantizedWeight);
        if (bias is not null)
        {
            node.SetInput(2, BiasDequantized(bias, input.Parameters.Scale, weightScales));
        }

        if (_options.QuantizeOutputs)
        {
            QuantizeOutput(node);
        }

        return null;
    }

    /// <summary>Add, Mul, Concat, pools, LeakyRelu, Sigmoid, Softmax: every float input dequantized, the output quantized.</summary>
    private string? RewriteActivation(OnnxNode node)
    {
        if (!_options.QuantizeOutputs)
        {
            return $"ONNX Runtime fuses {node.OpType} into an int8 kernel only with a quantized output ({nameof(StaticQuantizationOptions.QuantizeOutputs)} is off).";
        }

        if (node.Outputs.Count != 1 || node.Inputs.Count == 0)
        {
            return "unexpected number of inputs or outputs.";
        }

        if (node.OpType == "Mul" && RewriteRescale(node) is null)
        {
            return null;
        }

        if (!HasRange(node.Outputs[0]))
        {
            return $"no calibrated range for output '{node.Outputs[0]}'.";
        }

        var dataInputs = node.OpType is "Add" or "Mul" or "Concat" ? node.Inputs.Count : 1;
        for (var i = 0; i < dataInputs; i++)
        {
            var name = node.Inputs[i];
            if (!HasRange(name) && _graph.FindInitializer(name) is not { ElementType: TensorElementType.Float })
            {
                return $"no calibrated range for input '{name}'.";
            }
        }

        if (node.Inputs.Take(dataInputs).All(n => _graph.FindInitializer(n) is not null))
        {
            return "every input is a constant (constant folding would remove the node).";
        }

        for (var i = 0; i < dataInputs; i++)
        {
            var name = node.Inputs[i];
            node.SetInput(i, HasRange(name) ? Dequantized(name).Dequantized : ConstantDequantized(_graph.FindInitializer(name)!));
        }

        QuantizeOutput(node);
        return null;
    }

    /// <summary>Reshape, Transpose, MaxPool...: runs on the quantized input; its output keeps the input's scale and zero point.</summary>
    private string? RewritePassThrough(OnnxNode node)
    {
        if (node.Outputs.Count != 1)
        {
            return $"has {node.Outputs.Count} outputs; only the single-output form runs on int8 data.";
        }

        var input = _domain[node.Inputs[0]];
        node.SetInput(0, input.Quantized);
        var output = node.Outputs[0];
        var quantized = Unique(output + "_quantized");
        node.SetOutput(0, quantized);
        AddDequantize(quantized, input.Scale, input.ZeroPoint, output);
        _domain[output] = input with { Quantized = quantized, Dequantized = output };
        return null;
    }

    /// <summary>
    /// Div (or Mul) by a positive scalar constant c: (q - z)·s / c = (q - z)·(s / c), so the quantized input is read back
    /// with scale s / c and the node disappears. Hard-swish's "/ 6" costs nothing this way.
    /// </summary>
    private string? RewriteRescale(OnnxNode node)
    {
        if (node.Inputs.Count != 2 || node.Outputs.Count != 1)
        {
            return "unexpected number of inputs or outputs.";
        }

        var (dataIndex, constant) = node.OpType == "Mul" && !_domain.ContainsKey(node.Inputs[0]) && _domain.ContainsKey(node.Inputs[1])
            ? (1, _graph.FindInitializer(node.Inputs[0]))
            : (0, _graph.FindInitializer(node.Inputs[1]));
        float[] c = constant is { ElementType: TensorElementType.Float, ElementCount: 1 } ? constant.ToSingleArray() : [];
        if (c.Length != 1 || !float.IsFinite(c[0]) || c[0] <= 0 || !_domain.TryGetValue(node.Inputs[dataIndex], out var input))
        {
            return $"{node.OpType} is folded into the scale only for a quantized input and a positive scalar constant.";
        }

        var scale = node.OpType == "Div" ? input.Parameters.Scale / c[0] : input.Parameters.Scale * c[0];
        var parameters = input.Parameters with { Scale = scale };
        var scaleName = AddInitializer(OnnxTensor.FromSingles(Unique(node.Outputs[0] + "_scale"), [scale]));
        var output = node.Outputs[0];
        _removableInitializers.Add(constant!.Name);
        Remove(node);
        AddDequantize(input.Quantized, scaleName, input.ZeroPoint, output);
        _domain[output] = new QuantizedTensor(input.Quantized, output, scaleName, input.ZeroPoint, parameters);
        return null;
    }

    /// <summary>
    /// The node now writes '&lt;y&gt;_prequant'; Q/DQ turn it back into '&lt;y&gt;', so every consumer and graph output is unchanged.
    /// A Relu or Clip that alone reads the output is folded into the quantization when the quantized range lies within its bounds.
    /// </summary>
    private void QuantizeOutput(OnnxNode node)
    {
        var output = node.Outputs[0];
        QuantParameters parameters;
        if (FoldableClamp(output) is { } clamp)
        {
            _removableInitializers.UnionWith(clamp.Node.Inputs.Skip(1));
            Remove(clamp.Node);
            output = clamp.Node.Outputs[0];
            parameters = clamp.Parameters;
        }
        else
        {
            parameters = ActivationParameters(output);
        }

        var raw = Unique(output + "_prequant");
        node.SetOutput(0, raw);
        _domain[output] = AddQdq(raw, output, parameters);
    }

    /// <summary>
    /// The Relu or Clip that alone reads <paramref name="tensor"/>, with the parameters of its output's range, when those
    /// parameters cannot represent anything outside the clamp's bounds (within half a step), so that saturating
    /// QuantizeLinear clamps exactly as it did (uint8 with zero point 0 is a ReLU).
    /// </summary>
    private (OnnxNode Node, QuantParameters Parameters)? FoldableClamp(string tensor)
    {
        var consumers = _graph.FindConsumers(tensor);
        if (consumers.Count != 1 || _graphOutputs.Contains(tensor))
        {
            return null;
        }

        var clamp = consumers[0];
        if (clamp.Domain.Length > 0 || clamp.Outputs.Count != 1 || clamp.Inputs[0] != tensor || !_calibration.Ranges.TryGetValue(clamp.Outputs[0], out var range))
        {
            return null;
        }

        float lo, hi;
        switch (clamp.OpType)
        {
            case "Relu":
                (lo, hi) = (0f, float.PositiveInfinity);
                break;
            case "Clip" when ClipBound(clamp, 1, float.NegativeInfinity) is { } min && ClipBound(clamp, 2, float.PositiveInfinity) is { } max:
                (lo, hi) = (min, max);
                break;
            default:
                return null;
        }

        var parameters = QuantMath.ComputeAsymmetric(range.Min, range.Max, _options.ActivationType);
        var (representableMin, representableMax) = QuantMath.RepresentableRange(parameters, _options.ActivationType);
        var halfStep = parameters.Scale / 2;
        return representableMin >= lo - halfStep && representableMax <= hi + halfStep ? (clamp, parameters) : null;
    }

    /// <summary>Clip's min or max input as a constant; <paramref name="absent"/> when not given; null when not a constant.</summary>
    private float? ClipBound(OnnxNode clip, int index, float absent)
    {
        if (clip.Inputs.Count <= index || clip.Inputs[index].Length == 0)
        {
            return absent;
        }

        var tensor = _graph.FindInitializer(clip.Inputs[index]);
        return tensor is { ElementType: TensorElementType.Float, ElementCount: 1 } ? tensor.ToSingleArray()[0] : null;
    }

    /// <summary>The int8 form of a float tensor with a calibrated range: the existing one, or a new QuantizeLinear → DequantizeLinear pair.</summary>
    private QuantizedTensor Dequantized(string tensor)
    {
        if (_domain.TryGetValue(tensor, out var existing))
        {
            return existing;
        }

        var quantized = AddQdq(tensor, Unique(tensor + "_dequantized"), ActivationParameters(tensor));
        _domain[tensor] = quantized;
        return quantized;
    }

    private QuantParameters ActivationParameters(string tensor)
    {
        var range = _calibration.Ranges[tensor];
        return QuantMath.ComputeAsymmetric(range.Min, range.Max, _options.ActivationType);
    }

    private QuantizedTensor AddQdq(string source, string dequantized, QuantParameters parameters)
    {
        var scale = AddInitializer(OnnxTensor.FromSingles(Unique(source + "_scale"), [parameters.Scale]));
        var zeroPoint = AddInitializer(ActivationTensor(Unique(source + "_zero_point"), [parameters.ZeroPoint]));
        var quantized = Unique(source + "_quantized");
        _addedNodes.Add(_graph.AddNode("QuantizeLinear", [source, scale, zeroPoint], [quantized], Unique(source + "_QuantizeLinear")));
        AddDequantize(quantized, scale, zeroPoint, dequantized);
        return new QuantizedTensor(quantized, dequantized, scale, zeroPoint, parameters);
    }

    private void AddDequantize(string quantized, string scale, string zeroPoint, string dequantized) =>
        _addedNodes.Add(_graph.AddNode("DequantizeLinear", [quantized, scale, zeroPoint], [dequantized], Unique(dequantized + "_DequantizeLinear")));

    /// <summary>A float constant operand (Add's or Mul's) as a per-tensor quantized initializer behind a DequantizeLinear.</summary>
    private string ConstantDequantized(OnnxTensor constant)
    {
        if (_constants.TryGetValue(constant.Name, out var existing))
        {
            return existing;
        }

        _removableInitializers.Add(constant.Name);
        var values = constant.ToSingleArray();
        var parameters = QuantMath.ComputeAsymmetric(values.Min(), values.Max(), _options.ActivationType);
        var q = new int[values.Length];
        var (lo, hi) = QuantMath.IntegerRange(_options.ActivationType);
        for (var i = 0; i < values.Length; i++)
        {
            q[i] = (int)Math.Clamp(MathF.Round(values[i] / parameters.Scale) + parameters.ZeroPoint, lo, hi);
        }

        var quantized = AddInitializer(ActivationTensor(Unique(constant.Name + "_quantized"), q, [.. constant.Dims]));
        var scale = AddInitializer(OnnxTensor.FromSingles(Unique(constant.Name + "_scale"), [parameters.Scale]));
        var zeroPoint = AddInitializer(ActivationTensor(Unique(constant.Name + "_zero_point"), [parameters.ZeroPoint]));
        var dequantized = Unique(constant.Name + "_dequantized");
        AddDequantize(quantized, scale, zeroPoint, dequantized);
        _constants[constant.Name] = dequantized;
        return dequantized;
    }

    /// <summary>An initializer of the activation type holding <paramref name="values"/> (already in its range).</summary>
    private OnnxTensor ActivationTensor(string name, int[] values, params long[] dims) =>
        _options.ActivationType == ActivationType.UInt8
            ? OnnxTensor.FromUInt8s(name, [.. values.Select(v => (byte)v)], dims)
            : OnnxTensor.FromInt8s(name, [.. values.Select(v => (sbyte)v)], dims);

    private (string Dequantized, float[] Scales) WeightDequantized(OnnxTensor weight, int axis)
    {
        if (_weights.TryGetValue((weight.Name, axis), out var existing))
        {
            return existing;
        }

        _removableInitializers.Add(weight.Name);
        var values = weight.ToSingleArray();
        var dims = weight.Dims.ToArray();
        var quantized = new sbyte[values.Length];
        var scales = QuantMath.QuantizeInt8PerChannel(values, dims, axis, quantized);
        var q = AddInitializer(OnnxTensor.FromInt8s(Unique(weight.Name + "_quantized"), quantized, dims));
        var s = AddInitializer(OnnxTensor.FromSingles(Unique(weight.Name + "_scale"), scales, scales.Length));
        var z = AddInitializer(OnnxTensor.FromInt8s(Unique(weight.Name + "_zero_point"), new sbyte[scales.Length], scales.Length));
        var dequantized = Unique(weight.Name + "_dequantized");
        _graph.AddNode("DequantizeLinear", [q, s, z], [dequantized], Unique(weight.Name + "_DequantizeLinear"), [OnnxAttribute.Int("axis", axis)]);
        _weights[(weight.Name, axis)] = (dequantized, scales);
        return (dequantized, scales);
    }

    private string BiasDequantized(OnnxTensor bias, float inputScale, float[] weightScales)
    {
        _removableInitializers.Add(bias.Name);
        var values = bias.ToSingleArray();
        var quantized = new int[values.Length];
        var scales = QuantMath.QuantizeBias(values, inputScale, weightScales, quantized);
        var q = AddInitializer(OnnxTensor.FromInt32s(Unique(bias.Name + "_quantized"), quantized, quantized.Length));
        var s = AddInitializer(OnnxTensor.FromSingles(Unique(bias.Name + "_scale"), scales, scales.Length));
        var z = AddInitializer(OnnxTensor.FromInt32s(Unique(bias.Name + "_zero_point"), new int[scales.Length], scales.Length));
        var dequantized = Unique(bias.Name + "_dequantized");
        _graph.AddNode("DequantizeLinear", [q, s, z], [dequantized], Unique(bias.Name + "_DequantizeLinear"), [OnnxAttribute.Int("axis", 0)]);
        return dequantized;
    }

    private string AddInitializer(OnnxTensor tensor)
    {
        _removableInitializers.Add(tensor.Name);
        return _graph.AddInitializer(tensor).Name;
    }

    private void Remove(OnnxNode node)
    {
        _graph.RemoveNode(node);
        _removedNodes.Add(node);
    }

    private bool HasRange(string tensor) => _domain.ContainsKey(tensor) || _calibration.Ranges.ContainsKey(tensor);

    /// <summary>
    /// ONNX Runtime's level-1 WeightBiasQuantization transformer (1.20 and later) quantizes the float weight of a Conv,
    /// ConvTranspose or Gemm whose input comes from a per-tensor DequantizeLinear and whose output goes to a QuantizeLinear,
    /// to int8 with ONE scale for the whole tensor. A layer kept fp32 between int8 neighbours is exactly that pattern, so it
    /// ran int8 with far coarser weights than this pass writes (on the PaddleOCR classifier, keeping one squeeze-excite Conv
    /// "fp32" dropped the held-out worst cosine from 0.92 to 0.69). Such a layer reads its input through its own
    /// DequantizeLinear with the scale and zero point repeated per channel: the same values, but not per-tensor, so the
    /// transformer leaves the layer in fp32. A layer whose input has one channel cannot be kept apart this way and is left as it is.
    /// </summary>
    private void KeepFloatLayersFloat()
    {
        var byDequantized = _domain.Values.ToDictionary(q => q.Dequantized, StringComparer.Ordinal);
        var floatLayers = _graph.Nodes
            .Where(n => n.Domain.Length == 0 && n.OpType is "Conv" or "ConvTranspose" or "Gemm" && n.Inputs.Count >= 2)
            .Select(n => (Node: n, Channels: _graph.FindInitializer(n.Inputs[1]) is { ElementType: TensorElementType.Float, Dims.Count: >= 2 } w ? InputChannels(n, w) : null))
            .Where(l => l.Channels is { Channels: > 1 } && byDequantized.ContainsKey(l.Node.Inputs[0])
                && _graph.FindProducer(l.Node.Inputs[0]) is { OpType: "DequantizeLinear" } producer && _addedNodes.Contains(producer))
            .ToList();
        foreach (var group in floatLayers.GroupBy(l => (Input: l.Node.Inputs[0], l.Channels!.Value.Axis, l.Channels.Value.Channels)))
        {
            var (input, axis, channels) = group.Key;
            var quantized = byDequantized[input];
            var scale = AddInitializer(OnnxTensor.FromSingles(Unique(input + "_channel_scale"), [.. Enumerable.Repeat(quantized.Parameters.Scale, (int)channels)], channels));
            var zeroPoint = AddInitializer(ActivationTensor(Unique(input + "_channel_zero_point"), [.. Enumerable.Repeat(quantized.Parameters.ZeroPoint, (int)channels)], channels));
            var producer = _graph.FindProducer(input)!;
            if (_graph.FindConsumers(input).Count == group.Count() && !_graphOutputs.Contains(input))
            {
                // Only these layers read it: the DequantizeLinear itself becomes per-channel, so the tensor keeps its name.
                producer.SetInput(1, scale);
                producer.SetInput(2, zeroPoint);
                producer.SetAttribute(OnnxAttribute.Int("axis", axis));
                continue;
            }

            var dequantized = Unique(input + "_per_channel");
            _addedNodes.Add(_graph.AddNode("DequantizeLinear", [quantized.Quantized, scale, zeroPoint], [dequantized], Unique(dequantized + "_DequantizeLinear"), [OnnxAttribute.Int("axis", axis)]));
            foreach (var (node, _) in group)
            {
                node.SetInput(0, dequantized);
            }
        }
    }

    /// <summary>The axis of a float Conv/ConvTranspose/Gemm's input that holds its input channels, and their count, read from the weight.</summary>
    private static (int Axis, long Channels)? InputChannels(OnnxNode node, OnnxTensor weight) => node.OpType switch
    {
        // Conv weights are [C_out, C_in / group, k...]; ConvTranspose weights [C_in, C_out / group, k...].
        "Conv" => (1, weight.Dims[1] * (node.FindAttribute("group")?.GetInt() ?? 1)),
        "ConvTranspose" => (1, weight.Dims[0]),
        // Gemm: A is [M, K] (or [K, M] with transA); B is [K, N] (or [N, K] with transB).
        _ when weight.Dims.Count == 2 => (node.FindAttribute("transA")?.GetInt() == 1 ? 0 : 1, weight.Dims[node.FindAttribute("transB")?.GetInt() == 1 ? 1 : 0]),
        _ => null,
    };

    /// <summary>
    /// Removes the Q/DQ nodes this pass added whose output nothing reads: a DequantizeLinear whose only reader went on to
    /// read the quantized tensor (pass-through, rescale), then a QuantizeLinear left without a reader.
    /// </summary>
    private void RemoveDeadQdq()
    {
        bool removed;
        do
        {
            removed = false;
            var read = _graph.Nodes.SelectMany(n => n.Inputs).ToHashSet(StringComparer.Ordinal);
            foreach (var node in _addedNodes.Where(n => !read.Contains(n.Outputs[0]) && !_graphOutputs.Contains(n.Outputs[0])).ToList())
            {
                _graph.RemoveNode(node);
                _addedNodes.Remove(node);
                removed = true;
            }
        }
        while (removed);
    }

    /// <summary>Drops the replaced fp32 weights and the quantization initializers that nothing reads any more.</summary>
    private void RemoveUnusedInitializers()
    {
        var read = _graph.Nodes.SelectMany(n => n.Inputs).Concat(_graphOutputs).ToHashSet(StringComparer.Ordinal);
        foreach (var name in _removableInitializers.Where(n => !read.Contains(n)))
        {
            _graph.RemoveInitializer(name);
        }
    }

    private string Unique(string name)
    {
        var candidate = name;
        for (var i = 1; !_names.Add(candidate); i++)
        {
            candidate = name + "_" + i.ToString(CultureInfo.InvariantCulture);
        }

        return candidate;
    }
}

using System.Globalization;
using EdgeAI.Quantization.Calibration;
using EdgeAI.Quantization.Onnx;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeAI.Quantization.Int8;

/// <summary>Carries out <see cref="StaticQuantizer.Quantize"/> on a copy of the model.</summary>
internal sealed class QdqRewriter
{
    private readonly OnnxModel _model;
    private readonly OnnxGraph _graph;
    private readonly CalibrationResult _calibration;
    private readonly StaticQuantizationOptions _options;
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Dequantized, QuantParameters Parameters)> _activations = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Name, int Axis), (string Dequantized, float[] Scales)> _weights = [];
    private readonly List<string> _quantized = [];
    private readonly List<string> _skipped = [];
    private readonly HashSet<string> _replaced = new(StringComparer.Ordinal);

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
        _names.UnionWith(_graph.Outputs.Select(o => o.Name));
        _names.UnionWith(_graph.Initializers.Select(t => t.Name));
    }

    public QuantizationResult Run()
    {
        foreach (var node in _graph.GetTopologicalOrder())
        {
            if (node.Domain.Length > 0 || !_options.OpTypes.Contains(node.OpType))
            {
                continue;
            }

            if (_options.ExcludedNodes.Contains(node.Name))
            {
                _skipped.Add($"Node {node.Label}: excluded by {nameof(StaticQuantizationOptions)}.{nameof(StaticQuantizationOptions.ExcludedNodes)}.");
                continue;
            }

            var plan = Plan(node, out var reason);
            if (plan is null)
            {
                _skipped.Add($"Node {node.Label}: {reason}");
                continue;
            }

            Apply(node, plan);
            _quantized.Add(node.Label);
        }

        RemoveUnusedInitializers();
        _graph.SortTopologically();
        _model.Validate();
        return new QuantizationResult(_model, _quantized, _skipped);
    }

    /// <summary>Everything a rewrite needs, gathered before anything is changed.</summary>
    private sealed record NodePlan(OnnxTensor? Weight, int WeightAxis, OnnxTensor? Bias, bool SecondInputIsActivation);

    private NodePlan? Plan(OnnxNode node, out string reason)
    {
        reason = string.Empty;
        if (node.Inputs.Count < 2 || node.Outputs.Count != 1)
        {
            reason = "unexpected number of inputs or outputs.";
            return null;
        }

        if (!HasRange(node.Inputs[0]))
        {
            reason = $"no calibrated range for input '{node.Inputs[0]}'.";
            return null;
        }

        if (_options.QuantizeOutputs && !HasRange(node.Outputs[0]))
        {
            reason = $"no calibrated range for output '{node.Outputs[0]}'.";
            return null;
        }

        var weight = _graph.FindInitializer(node.Inputs[1]);
        if (weight is not null && _graph.Inputs.Any(i => i.Name == weight.Name))
        {
            reason = $"weight '{weight.Name}' is also a graph input, so a caller may replace it at run time.";
            return null;
        }

        if (weight is not null && weight.ElementType != TensorElementType.Float)
        {
            reason = $"weight '{weight.Name}' is {weight.ElementType}, not Float.";
            return null;
        }

        int axis;
        switch (node.OpType)
        {
            case "Conv" when weight is not null && weight.Dims.Count >= 3:
                axis = 0;
                break;
            case "Gemm" when weight is not null && weight.Dims.Count == 2:
                axis = node.FindAttribute("transB")?.GetInt() == 1 ? 0 : 1;
                break;
            case "MatMul" when weight is not null && weight.Dims.Count == 2:
                axis = 1;
                break;
            case "MatMul" when weight is null:
                if (!HasRange(node.Inputs[1]))
                {
                    reason = $"no calibrated range for input '{node.Inputs[1]}'.";
                    return null;
                }

                return new NodePlan(null, 0, null, SecondInputIsActivation: true);
            default:
                reason = weight is null
                    ? $"weight '{node.Inputs[1]}' is not an initializer."
                    : $"weight '{weight.Name}' has rank {weight.Dims.Count}, not the rank {node.OpType} quantization handles.";
                return null;
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

        return new NodePlan(weight, axis, bias, SecondInputIsActivation: false);
    }

    private void Apply(OnnxNode node, NodePlan plan)
    {
        var input = ActivationDequantized(node.Inputs[0]);
        node.SetInput(0, input.Dequantized);

        if (plan.SecondInputIsActivation)
        {
            node.SetInput(1, ActivationDequantized(node.Inputs[1]).Dequantized);
        }
        else
        {
            var weight = plan.Weight!;
            var (dequantized, weightScales) = WeightDequantized(weight, plan.WeightAxis);
            node.SetInput(1, dequantized);
            if (plan.Bias is { } bias)
            {
                node.SetInput(2, BiasDequantized(bias, input.Parameters.Scale, weightScales));
            }
        }

        if (_options.QuantizeOutputs)
        {
            // The node now writes '<y>_prequant'; Q/DQ turn it back into '<y>', so every consumer and graph output is unchanged.
            var output = node.Outputs[0];
            var relu = FoldableRelu(output);
            if (relu is not null)
            {
                // uint8 with zero point 0 clamps negatives to 0, which is exactly what the ReLU did: Q/DQ with the
                // ReLU output's range replace it and spend all 256 levels on [0, max].
                _graph.RemoveNode(relu);
                output = relu.Outputs[0];
            }

            var raw = Unique(output + "_prequant");
            node.SetOutput(0, raw);
            var parameters = ActivationParameters(output);
            AddQdq(raw, output, parameters);
            _activations[output] = (output, parameters);
        }
    }

    /// <summary>The ReLU that alone reads <paramref name="tensor"/>, when it can be folded into the output quantization.</summary>
    private OnnxNode? FoldableRelu(string tensor)
    {
        var consumers = _graph.FindConsumers(tensor);
        if (consumers.Count != 1 || _graph.Outputs.Any(o => o.Name == tensor))
        {
            return null;
        }

        var relu = consumers[0];
        return relu.OpType == "Relu" && relu.Domain.Length == 0 && relu.Outputs.Count == 1 && _calibration.Ranges.TryGetValue(relu.Outputs[0], out var range) && range.Min >= 0
            ? relu
            : null;
    }

    private (string Dequantized, QuantParameters Parameters) ActivationDequantized(string tensor)
    {
        if (_activations.TryGetValue(tensor, out var existing))
        {
            return existing;
        }

        var parameters = ActivationParameters(tensor);
        var dequantized = Unique(tensor + "_dequantized");
        AddQdq(tensor, dequantized, parameters);
        _activations[tensor] = (dequantized, parameters);
        return (dequantized, parameters);
    }

    private QuantParameters ActivationParameters(string tensor)
    {
        var range = _calibration.Ranges[tensor];
        return QuantMath.ComputeUInt8Asymmetric(range.Min, range.Max);
    }

    private void AddQdq(string source, string dequantized, QuantParameters parameters)
    {
        var scale = AddInitializer(OnnxTensor.FromSingles(Unique(source + "_scale"), [parameters.Scale]));
        var zeroPoint = AddInitializer(OnnxTensor.FromUInt8s(Unique(source + "_zero_point"), [(byte)parameters.ZeroPoint]));
        var quantized = Unique(source + "_quantized");
        _graph.AddNode("QuantizeLinear", [source, scale, zeroPoint], [quantized], Unique(source + "_QuantizeLinear"));
        _graph.AddNode("DequantizeLinear", [quantized, scale, zeroPoint], [dequantized], Unique(source + "_DequantizeLinear"));
    }

    private (string Dequantized, float[] Scales) WeightDequantized(OnnxTensor weight, int axis)
    {
        if (_weights.TryGetValue((weight.Name, axis), out var existing))
        {
            return existing;
        }

        _replaced.Add(weight.Name);
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
        _replaced.Add(bias.Name);
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

    private string AddInitializer(OnnxTensor tensor) => _graph.AddInitializer(tensor).Name;

    private bool HasRange(string tensor) => _activations.ContainsKey(tensor) || _calibration.Ranges.ContainsKey(tensor);

    /// <summary>Drops the fp32 weights and biases that were replaced and that nothing else reads.</summary>
    private void RemoveUnusedInitializers()
    {
        var read = _graph.Nodes.SelectMany(n => n.Inputs).Concat(_graph.Outputs.Select(o => o.Name)).ToHashSet(StringComparer.Ordinal);
        foreach (var name in _replaced.Where(n => !read.Contains(n)))
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

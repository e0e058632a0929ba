using EdgeAI.Quantization.Onnx;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeAI.Quantization.Int8;

/// <summary>
/// Brings an exported model into the shape the quantizers expect, without changing what it computes:
/// float and int64 <c>Constant</c> nodes become initializers (exporters such as paddle2onnx keep every weight in
/// one), shape-only operators on float initializers are folded (PyTorch reorders LSTM gates with Slice/Concat), BatchNormalization and HardSigmoid after a Conv are folded into the Conv's weights and bias (so the int8 Conv sees the
/// real weights), and a default-domain opset below 13 is raised to 13 (per-channel DequantizeLinear needs it),
/// rewriting the operators whose attributes became inputs on the way (Clip, Slice, Pad, Squeeze, Unsqueeze,
/// ReduceSum, Split, Dropout) and checking that Softmax-family axes keep their meaning.
/// </summary>
public static class ModelPreparer
{
    /// <summary>Prepares a copy of <paramref name="model"/>.</summary>
    /// <returns>The prepared copy and one sentence per kind of change made.</returns>
    /// <exception cref="NotSupportedException">The opset must be raised but an operator's meaning would change in a way this pass cannot rewrite; the message names the node.</exception>
    /// <exception cref="OnnxFormatException">The model is not valid.</exception>
    public static (OnnxModel Model, IReadOnlyList<string> Changes) Prepare(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        model.Validate();
        var copy = model.Clone();
        var changes = new List<string>();
        var folded = FoldConstants(copy.Graph);
        if (folded > 0)
        {
            changes.Add($"{folded} Constant node(s) became initializers.");
        }

        var opset = copy.GetOpset() ?? 0;
        if (opset < 13)
        {
            UpgradeTo13(copy, opset);
            changes.Add($"Default-domain opset raised from {opset} to 13.");
        }

        var shaped = ConstantFolder.Fold(copy.Graph);
        if (shaped > 0)
        {
            changes.Add($"{shaped} Identity/Unsqueeze/Squeeze/Reshape/Slice/Concat node(s) on constant weights folded into initializers.");
        }

        var bn = FoldBatchNorms(copy.Graph);
        if (bn > 0)
        {
            changes.Add($"{bn} BatchNormalization node(s) folded into the preceding Conv.");
        }

        var hardSigmoids = FoldHardSigmoids(copy.Graph);
        if (hardSigmoids > 0)
        {
            changes.Add($"{hardSigmoids} HardSigmoid node(s) after a Conv folded into its weights and bias, leaving Clip(0, 1).");
        }

        var removed = RemoveUnusedInitializers(copy.Graph);
        if (removed > 0)
        {
            changes.Add($"{removed} initializer(s) no node reads were removed.");
        }

        copy.Graph.SortTopologically();
        copy.Validate();
        return (copy, changes);
    }

    private static int RemoveUnusedInitializers(OnnxGraph graph)
    {
        static IEnumerable<string> Reads(IEnumerable<Onnx.Proto.NodeProto> nodes) =>
            nodes.SelectMany(n => n.Input.Concat(n.Attribute.SelectMany(a => a.G is null ? a.Graphs : a.Graphs.Append(a.G)).SelectMany(g => Reads(g.Node))));

        var read = Reads(graph.Proto.Node).Concat(graph.Outputs.Select(o => o.Name)).Concat(graph.Inputs.Select(i => i.Name)).ToHashSet(StringComparer.Ordinal);
        var unused = graph.Initializers.Select(t => t.Name).Where(n => !read.Contains(n)).ToList();
        unused.ForEach(n => graph.RemoveInitializer(n));
        return unused.Count;
    }

    private static int FoldConstants(OnnxGraph graph)
    {
        var count = 0;
        foreach (var node in graph.Nodes.Where(n => n.OpType == "Constant" && n.Domain.Length == 0 && n.Outputs.Count == 1))
        {
            var attribute = node.FindAttribute("value");
            if (attribute is null || attribute.Kind != OnnxAttributeKind.Tensor || node.Attributes.Count != 1)
            {
                continue;
            }

            var tensor = attribute.GetTensor();
            var name = node.Outputs[0];
            long[] dims = [.. tensor.Dims];
            OnnxTensor? initializer = tensor.ElementType switch
            {
                TensorElementType.Float => OnnxTensor.FromSingles(name, tensor.ToSingleArray(), dims),
                TensorElementType.Int64 => OnnxTensor.FromInt64s(name, tensor.ToInt64Array(), dims),
                _ => null,
            };
            if (initializer is null || graph.Outputs.Any(o => o.Name == name))
            {
                continue;
            }

            graph.RemoveNode(node);
            graph.AddInitializer(initializer);
            count++;
        }

        return count;
    }

    private static void UpgradeTo13(OnnxModel model, long from)
    {
        var graph = model.Graph;
        var names = graph.Nodes.SelectMany(n => n.Inputs.Concat(n.Outputs)).Concat(graph.Initializers.Select(t => t.Name)).ToHashSet(StringComparer.Ordinal);
        string Unique(string name)
        {
            var candidate = name;
            for (var i = 1; !names.Add(candidate); i++)
            {
                candidate = $"{name}_{i}";
            }

            return candidate;
        }

        string AddInts(OnnxNode node, string what, long[] values) =>
            graph.AddInitializer(OnnxTensor.FromInt64s(Unique($"{node.Outputs[0]}_{what}"), values, values.Length)).Name;

        void SetInputs(OnnxNode node, params string[] inputs)
        {
            while (node.Proto.Input.Count < inputs.Length + 1)
            {
                node.Proto.Input.Add("");
            }

            for (var i = 0; i < inputs.Length; i++)
            {
                node.Proto.Input[i + 1] = inputs[i];
            }
        }

        foreach (var node in graph.Nodes.Where(n => n.Domain.Length == 0).ToList())
        {
            switch (node.OpType)
            {
                case "Upsample" or "Resize" or "TopK" or "Scan" or "If" or "Loop":
                    throw new NotSupportedException($"Node {node.Label}: {node.OpType} changed meaning between opset {from} and 13 and is not rewritten by this pass; export the model with opset 13 or later.");
                case "Clip" when from < 11:
                    {
                        var min = node.FindAttribute("min")?.GetFloat() ?? float.MinValue;
                        var max = node.FindAttribute("max")?.GetFloat() ?? float.MaxValue;
                        node.RemoveAttribute("min");
                        node.RemoveAttribute("max");
                        SetInputs(node,
                            graph.AddInitializer(OnnxTensor.FromSingles(Unique($"{node.Outputs[0]}_min"), [min])).Name,
                            graph.AddInitializer(OnnxTensor.FromSingles(Unique($"{node.Outputs[0]}_max"), [max])).Name);
                        break;
                    }

                case "Slice" when from < 10:
                    {
                        var starts = node.FindAttribute("starts")!.GetInts();
                        var ends = node.FindAttribute("ends")!.GetInts();
                        var axes = node.FindAttribute("axes")?.GetInts();
                        node.RemoveAttribute("starts");
                        node.RemoveAttribute("ends");
                        node.RemoveAttribute("axes");
                        SetInputs(node, [AddInts(node, "starts", starts), AddInts(node, "ends", ends), .. axes is null ? Array.Empty<string>() : [AddInts(node, "axes", axes)]]);
                        break;
                    }

                case "Pad" when from < 11:
                    {
                        var pads = node.FindAttribute("pads")!.GetInts();
                        var value = node.FindAttribute("value")?.GetFloat() ?? 0f;
                        node.RemoveAttribute("pads");
                        node.RemoveAttribute("value");
                        SetInputs(node, AddInts(node, "pads", pads), graph.AddInitializer(OnnxTensor.FromSingles(Unique($"{node.Outputs[0]}_value"), [value])).Name);
                        break;
                    }

                case "Squeeze" or "Unsqueeze" or "ReduceSum" when node.FindAttribute("axes") is { } axesAttribute:
                    {
                        var axes = axesAttribute.GetInts();
                        node.RemoveAttribute("axes");
                        SetInputs(node, AddInts(node, "axes", axes));
                        break;
                    }

                case "Split" when node.FindAttribute("split") is { } splitAttribute:
                    {
                        var split = splitAttribute.GetInts();
                        node.RemoveAttribute("split");
                        SetInputs(node, AddInts(node, "split", split));
                        break;
                    }

                case "Dropout":
                    node.RemoveAttribute("ratio"); // inference ignores the ratio; from opset 12 it is an input
                    break;
                case "Softmax" or "LogSoftmax" or "Hardmax":
                    {
                        // Before 13 the input is coerced to 2-D at `axis` (default 1); from 13 `axis` (default -1) is one axis.
                        // Both agree when the axis is the last one.
                        var axis = node.FindAttribute("axis")?.GetInt() ?? 1;
                        var rank = graph.FindTensorInfo(node.Inputs[0])?.Shape?.Count;
                        if (axis != -1 && (rank is null || axis != rank - 1))
                        {
                            // Keep the old meaning exactly whatever the rank: Flatten at `axis`, normalize the last axis, restore the shape.
                            var input = node.Inputs[0];
                            var shape = Unique(input + "_shape");
                            var flat = Unique(input + "_flat");
                            var normalized = Unique(node.Outputs[0] + "_2d");
                            var index = graph.Nodes.ToList().IndexOf(node);
                            graph.InsertNode(index, "Shape", [input], [shape], Unique(node.Name + "_Shape"));
                            graph.InsertNode(index + 1, "Flatten", [input], [flat], Unique(node.Name + "_Flatten"), [OnnxAttribute.Int("axis", axis)]);
                            graph.AddNode("Reshape", [normalized, shape], [node.Outputs[0]], Unique(node.Name + "_Reshape"));
                            node.SetInput(0, flat);
                            node.SetOutput(0, normalized);
                        }

                        node.SetAttribute(OnnxAttribute.Int("axis", -1));
                        break;
                    }
            }
        }

        model.SetOpset(OnnxModel.DefaultDomain, 13);
    }

    private static int FoldBatchNorms(OnnxGraph graph)
    {
        var count = 0;
        var graphOutputs = graph.Outputs.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var bn in graph.Nodes.Where(n => n.OpType == "BatchNormalization" && n.Domain.Length == 0 && n.Outputs.Count == 1).ToList())
        {
            var conv = graph.FindProducer(bn.Inputs[0]);
            if (conv is null || conv.OpType != "Conv" || conv.Domain.Length > 0 || graph.FindConsumers(conv.Outputs[0]).Count != 1 || graphOutputs.Contains(conv.Outputs[0]))
            {
                continue;
            }

            var w = graph.FindInitializer(conv.Inputs[1]);
            var parameters = bn.Inputs.Skip(1).Take(4).Select(graph.FindInitializer).ToList();
            var bias = conv.Inputs.Count > 2 && conv.Inputs[2].Length > 0 ? graph.FindInitializer(conv.Inputs[2]) : null;
            if (w is null || w.ElementType != TensorElementType.Float || parameters.Count != 4 || parameters.Any(p => p is null)
                || (conv.Inputs.Count > 2 && conv.Inputs[2].Length > 0 && bias is null)
                || graph.FindConsumers(w.Name).Count != 1 || (bias is not null && graph.FindConsumers(bias.Name).Count != 1))
            {
                continue;
            }

            var epsilon = bn.FindAttribute("epsilon")?.GetFloat() ?? 1e-5f;
            var scale = parameters[0]!.ToSingleArray();
            var shift = parameters[1]!.ToSingleArray();
            var mean = parameters[2]!.ToSingleArray();
            var variance = parameters[3]!.ToSingleArray();
            var factors = new double[scale.Length];
            var offsets = new double[scale.Length];
            for (var c = 0; c < scale.Length; c++)
            {
                factors[c] = scale[c] / Math.Sqrt(variance[c] + (double)epsilon);
                offsets[c] = shift[c] - (mean[c] * factors[c]);
            }

            ScaleConvChannels(graph, conv, w, bias, factors, offsets);
            var output = bn.Outputs[0];
            graph.RemoveNode(bn);
            conv.SetOutput(0, output);
            foreach (var p in parameters.Where(p => graph.FindConsumers(p!.Name).Count == 0 && !graphOutputs.Contains(p!.Name)))
            {
                graph.RemoveInitializer(p!.Name);
            }

            count++;
        }

        return count;
    }

    /// <summary>
    /// HardSigmoid(y) = clip(alpha·y + beta, 0, 1): after a Conv that alone feeds it, alpha and beta go into the Conv's
    /// weights and bias and the HardSigmoid becomes Clip(0, 1), which the static quantizer folds into the Conv's
    /// output range (ONNX Runtime has no int8 HardSigmoid kernel; MobileNetV3's squeeze-excite gates end in one).
    /// </summary>
    private static int FoldHardSigmoids(OnnxGraph graph)
    {
        var count = 0;
        var graphOutputs = graph.Outputs.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var hs in graph.Nodes.Where(n => n.OpType == "HardSigmoid" && n.Domain.Length == 0 && n.Outputs.Count == 1).ToList())
        {
            var conv = graph.FindProducer(hs.Inputs[0]);
            if (conv is null || conv.OpType != "Conv" || conv.Domain.Length > 0 || graph.FindConsumers(conv.Outputs[0]).Count != 1 || graphOutputs.Contains(conv.Outputs[0]))
            {
                continue;
            }

            var w = graph.FindInitializer(conv.Inputs[1]);
            var bias = conv.Inputs.Count > 2 && conv.Inputs[2].Length > 0 ? graph.FindInitializer(conv.Inputs[2]) : null;
            if (w is null || w.ElementType != TensorElementType.Float || w.Dims.Count < 3
                || (conv.Inputs.Count > 2 && conv.Inputs[2].Length > 0 && bias is null)
                || graph.FindConsumers(w.Name).Count != 1 || (bias is not null && graph.FindConsumers(bias.Name).Count != 1))
            {
                continue;
            }

            var channels = (int)w.Dims[0];
            var alpha = hs.FindAttribute("alpha")?.GetFloat() ?? 0.2f;
            var beta = hs.FindAttribute("beta")?.GetFloat() ?? 0.5f;
            ScaleConvChannels(graph, conv, w, bias, [.. Enumerable.Repeat((double)alpha, channels)], [.. Enumerable.Repeat((double)beta, channels)]);
            var lo = graph.AddInitializer(OnnxTensor.FromSingles(Unique(graph, hs.Name + "_min"), [0f])).Name;
            var hi = graph.AddInitializer(OnnxTensor.FromSingles(Unique(graph, hs.Name + "_max"), [1f])).Name;
            var output = hs.Outputs[0];
            var name = hs.Name;
            graph.RemoveNode(hs);
            graph.AddNode("Clip", [conv.Outputs[0], lo, hi], [output], name);
            count++;
        }

        return count;
    }

    /// <summary>Rewrites a Conv so that output channel c becomes factor[c]·y + offset[c] (weights and bias scaled, offset added to the bias).</summary>
    private static void ScaleConvChannels(OnnxGraph graph, OnnxNode conv, OnnxTensor w, OnnxTensor? bias, double[] factors, double[] offsets)
    {
        var weights = w.ToSingleArray();
        var channels = (int)w.Dims[0];
        var perChannel = weights.Length / channels;
        var b = bias?.ToSingleArray() ?? new float[channels];
        var newBias = new float[channels];
        for (var c = 0; c < channels; c++)
        {
            for (var k = 0; k < perChannel; k++)
            {
                weights[(c * perChannel) + k] = (float)(weights[(c * perChannel) + k] * factors[c]);
            }

            newBias[c] = (float)((b[c] * factors[c]) + offsets[c]);
        }

        graph.RemoveInitializer(w.Name);
        graph.AddInitializer(OnnxTensor.FromSingles(w.Name, weights, [.. w.Dims]));
        var biasName = bias?.Name ?? conv.Inputs[1] + "_folded_bias";
        if (bias is not null)
        {
            graph.RemoveInitializer(bias.Name);
        }

        graph.AddInitializer(OnnxTensor.FromSingles(biasName, newBias, channels));
        while (conv.Proto.Input.Count < 3)
        {
            conv.Proto.Input.Add("");
        }

        conv.Proto.Input[2] = biasName;
    }

    private static string Unique(OnnxGraph graph, string name)
    {
        var candidate = name;
        for (var i = 1; graph.FindInitializer(candidate) is not null || graph.FindProducer(candidate) is not null || graph.FindConsumers(candidate).Count > 0; i++)
        {
            candidate = name + "_" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return candidate;
    }
}

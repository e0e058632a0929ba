using System.Runtime.InteropServices;
using EdgeAI.Quantization.Onnx.Proto;
using Google.Protobuf;
using static TorchSharp.torch;

namespace EdgeAI.ModelFactory;

/// <summary>
/// Writes <see cref="DefectNet"/> as ONNX (IR 8, opset 17) with our own protobuf types: each convolution
/// with its batch norm folded in (eval-mode statistics), an Add of the layer input for residual layers, Relu, the 1x1 head giving <c>cam</c>, and
/// GlobalAveragePool (GlobalMaxPool for <see cref="DefectNet.MaxLogits"/>) + Flatten giving <c>logits</c>.
/// </summary>
internal static class OnnxExport
{
    public const string InputName = "image";
    public const string LogitsName = "logits";
    public const string CamName = "cam";

    public static byte[] Export(DefectNet net, int classes, int imageSize, string version)
    {
        var graph = new GraphProto { Name = "defect_cnn" };
        graph.Input.Add(ValueInfo(InputName, -1, 3, imageSize, imageSize));
        graph.Output.Add(ValueInfo(LogitsName, -1, classes));
        graph.Output.Add(ValueInfo(CamName, -1, classes, DefectNet.CamSide, DefectNet.CamSide));
        var x = InputName;
        using (no_grad())
        {
            foreach (var layer in net.Layers)
            {
                var name = layer.GetName();
                var (w, b) = Fold(layer);
                graph.Initializer.Add(FloatTensor(name + ".w", w.Values, w.Dims));
                graph.Initializer.Add(FloatTensor(name + ".b", b, b.Length));
                var conv = Node("Conv", [x, name + ".w", name + ".b"], [name + ".conv"], name + "_conv");
                conv.Attribute.Add(Ints("kernel_shape", layer.Kernel, layer.Kernel));
                conv.Attribute.Add(Ints("strides", layer.Stride, layer.Stride));
                var pad = layer.Padding;
                conv.Attribute.Add(Ints("pads", pad, pad, pad, pad));
                conv.Attribute.Add(Ints("dilations", layer.Dilation, layer.Dilation));
                conv.Attribute.Add(new AttributeProto { Name = "group", Type = AttributeProto.Types.AttributeType.Int, I = layer.Groups });
                graph.Node.Add(conv);
                var preActivation = name + ".conv";
                if (layer.Residual)
                {
                    preActivation = name + ".sum";
                    graph.Node.Add(Node("Add", [name + ".conv", x], [preActivation], name + "_add"));
                }

                graph.Node.Add(Node("Relu", [preActivation], [name + ".out"], name + "_relu"));
                x = name + ".out";
            }

            var hw = ToArray(net.Head.weight!);
            var hb = ToArray(net.Head.bias!);
            graph.Initializer.Add(FloatTensor("head.w", hw, classes, hw.Length / classes, 1, 1));
            graph.Initializer.Add(FloatTensor("head.b", hb, classes));
            var head = Node("Conv", [x, "head.w", "head.b"], [CamName], "head_conv");
            head.Attribute.Add(Ints("kernel_shape", 1, 1));
            graph.Node.Add(head);
        }

        var pooled = net.MaxLogits ? "cam_max" : "cam_mean";
        graph.Node.Add(net.MaxLogits ? Node("GlobalMaxPool", [CamName], [pooled], "gmp") : Node("GlobalAveragePool", [CamName], [pooled], "gap"));
        var flatten = Node("Flatten", [pooled], [LogitsName], "flatten");
        flatten.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        graph.Node.Add(flatten);

        var model = new ModelProto
        {
            IrVersion = 8,
            ProducerName = "edgeai-modelfactory",
            ProducerVersion = version,
            DocString = "EdgeAI defect CNN: logits [N, classes] and class activation maps cam [N, classes, 16, 16].",
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        return model.ToByteArray();
    }

    /// <summary>Folds eval-mode batch norm into the convolution: w' = w * g / sqrt(v + eps), b' = beta - m * g / sqrt(v + eps).</summary>
    private static ((float[] Values, long[] Dims) W, float[] B) Fold(ConvBnRelu layer)
    {
        var bn = layer.Bn;
        var w = layer.Conv.weight!.detach().to(float64);
        var scale = bn.weight!.detach().to(float64) / (bn.running_var!.detach().to(float64) + 1e-5).sqrt();
        var folded = w * scale.reshape(-1, 1, 1, 1);
        var bias = bn.bias!.detach().to(float64) - (bn.running_mean!.detach().to(float64) * scale);
        return ((ToArray(folded), w.shape), ToArray(bias));
    }

    private static float[] ToArray(Tensor t) => t.detach().to(float32).contiguous().cpu().data<float>().ToArray();

    private static ValueInfoProto ValueInfo(string name, params long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            shape.Dim.Add(d < 0 ? new TensorShapeProto.Types.Dimension { DimParam = "batch" } : new TensorShapeProto.Types.Dimension { DimValue = d });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }

    private static TensorProto FloatTensor(string name, float[] values, params long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.AddRange(dims);
        t.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan()));
        return t;
    }

    private static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    private static NodeProto Node(string op, string[] inputs, string[] outputs, string name)
    {
        var n = new NodeProto { OpType = op, Name = name };
        n.Input.AddRange(inputs);
        n.Output.AddRange(outputs);
        return n;
    }
}

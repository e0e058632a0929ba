using EdgeAI.Quantization.Onnx.Proto;
using Google.Protobuf;

namespace EdgeAI.TestSupport;

/// <summary>Tiny image models for the vision tests, built with the ONNX protobuf schema.</summary>
public static class VisionModels
{
    /// <summary>[1, channels, size, size] float -> [1, channels]: ReduceMean over height and width (opset 17).</summary>
    public static byte[] ChannelMeanModelBytes(int channels, int size, string input = "image", string output = "means")
    {
        var graph = new GraphProto { Name = "channel_mean" };
        graph.Input.Add(ValueInfo(input, 1, channels, size, size));
        graph.Output.Add(ValueInfo(output, 1, channels));
        var node = new NodeProto { OpType = "ReduceMean", Name = "mean" };
        node.Input.Add(input);
        node.Output.Add(output);
        var axes = new AttributeProto { Name = "axes", Type = AttributeProto.Types.AttributeType.Ints };
        axes.Ints.AddRange([2, 3]);
        node.Attribute.Add(axes);
        node.Attribute.Add(new AttributeProto { Name = "keepdims", Type = AttributeProto.Types.AttributeType.Int, I = 0 });
        graph.Node.Add(node);
        var model = new ModelProto { IrVersion = 8, ProducerName = "edgeai-tests", ProducerVersion = "1", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        return model.ToByteArray();
    }

    private static ValueInfoProto ValueInfo(string name, params long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }
}

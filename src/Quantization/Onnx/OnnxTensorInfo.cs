using EdgeAI.Quantization.Onnx.Proto;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeAI.Quantization.Onnx;

/// <summary>What a graph declares about one tensor: its element type and shape, either of which may be unknown.</summary>
public sealed class OnnxTensorInfo
{
    /// <summary>Creates the description.</summary>
    /// <param name="name">Tensor name.</param>
    /// <param name="elementType">Element type, or <see langword="null"/> when not declared or not a tensor.</param>
    /// <param name="shape">Dimensions, or <see langword="null"/> when the rank is unknown.</param>
    public OnnxTensorInfo(string name, TensorElementType? elementType, IReadOnlyList<OnnxDimension>? shape)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        ElementType = elementType;
        Shape = shape;
    }

    /// <summary>The tensor name.</summary>
    public string Name { get; }

    /// <summary>The element type; <see langword="null"/> when the graph does not say (or the value is not a tensor).</summary>
    public TensorElementType? ElementType { get; }

    /// <summary>The dimensions; <see langword="null"/> when even the rank is unknown, empty for a scalar.</summary>
    public IReadOnlyList<OnnxDimension>? Shape { get; }

    /// <summary>E.g. <c>x: Float[N, 3, 224, 224]</c>.</summary>
    public override string ToString() =>
        $"{Name}: {(ElementType?.ToString() ?? "?")}{(Shape is null ? "[?]" : "[" + string.Join(", ", Shape) + "]")}";

    internal static OnnxTensorInfo FromValueInfo(ValueInfoProto info)
    {
        if (info.Type?.ValueCase != TypeProto.ValueOneofCase.TensorType)
        {
            return new OnnxTensorInfo(info.Name, null, null);
        }

        var tensor = info.Type.TensorType;
        TensorElementType? type = tensor.HasElemType && OnnxDataTypes.IsKnown(tensor.ElemType) ? OnnxDataTypes.ToElementType(tensor.ElemType) : null;
        IReadOnlyList<OnnxDimension>? shape = tensor.Shape is null
            ? null
            : [.. tensor.Shape.Dim.Select(d => d.ValueCase switch
            {
                TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue when d.DimValue >= 0 => OnnxDimension.FromInt64(d.DimValue),
                TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam when d.DimParam.Length > 0 => OnnxDimension.FromString(d.DimParam),
                _ => OnnxDimension.Unknown,
            })];
        return new OnnxTensorInfo(info.Name, type, shape);
    }

    // A Constant node's tensor usually has no name of its own; callers pass the node output's name.
    internal static OnnxTensorInfo FromTensor(TensorProto tensor, string? name = null) =>
        new(
            name ?? tensor.Name,
            OnnxDataTypes.IsKnown(tensor.DataType) ? OnnxDataTypes.ToElementType(tensor.DataType) : null,
            [.. tensor.Dims.Select(d => d >= 0 ? OnnxDimension.FromInt64(d) : OnnxDimension.Unknown)]);

    internal static ValueInfoProto ToValueInfo(string name, TensorElementType? elementType, IEnumerable<OnnxDimension>? shape)
    {
        if (elementType is null)
        {
            // A tensor type without elem_type is invalid; a bare name lets ONNX Runtime infer the type and shape.
            return new ValueInfoProto { Name = name };
        }

        var tensorType = new TypeProto.Types.Tensor { ElemType = OnnxDataTypes.FromElementType(elementType.Value) };

        if (shape is not null)
        {
            tensorType.Shape = new TensorShapeProto();
            foreach (var dim in shape)
            {
                var d = new TensorShapeProto.Types.Dimension();
                if (dim.Value is { } value)
                {
                    d.DimValue = value;
                }
                else if (dim.Parameter is { } parameter)
                {
                    d.DimParam = parameter;
                }

                tensorType.Shape.Dim.Add(d);
            }
        }

        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensorType } };
    }
}

using EdgeAI.Quantization.Onnx.Proto;

namespace EdgeAI.Quantization.Onnx;

/// <summary>Element sizes of ONNX tensor data types.</summary>
internal static class OnnxDataTypes
{
    public static int SizeOf(TensorProto.Types.DataType type) => type switch
    {
        TensorProto.Types.DataType.Float or TensorProto.Types.DataType.Int32 or TensorProto.Types.DataType.Uint32 => 4,
        TensorProto.Types.DataType.Double or TensorProto.Types.DataType.Int64 or TensorProto.Types.DataType.Uint64 => 8,
        TensorProto.Types.DataType.Float16 or TensorProto.Types.DataType.Bfloat16 or TensorProto.Types.DataType.Int16 or TensorProto.Types.DataType.Uint16 => 2,
        TensorProto.Types.DataType.Int8 or TensorProto.Types.DataType.Uint8 or TensorProto.Types.DataType.Bool => 1,
        _ => throw new NotSupportedException($"ONNX data type {type} has no fixed element size."),
    };
}

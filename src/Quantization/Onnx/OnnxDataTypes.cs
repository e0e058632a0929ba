using EdgeAI.Quantization.Onnx.Proto;
using Microsoft.ML.OnnxRuntime.Tensors;
using DataType = EdgeAI.Quantization.Onnx.Proto.TensorProto.Types.DataType;

namespace EdgeAI.Quantization.Onnx;

/// <summary>Element sizes of ONNX tensor data types and the typed field each one is stored in.</summary>
internal static class OnnxDataTypes
{
    /// <summary>The typed (non-raw) fields of <see cref="TensorProto"/>.</summary>
    internal enum TypedField
    {
        None,
        FloatData,
        Int32Data,
        Int64Data,
        DoubleData,
        Uint64Data,
        StringData,
    }

    public static int SizeOf(DataType type) => type switch
    {
        DataType.Float or DataType.Int32 or DataType.Uint32 => 4,
        DataType.Double or DataType.Int64 or DataType.Uint64 or DataType.Complex64 => 8,
        DataType.Complex128 => 16,
        DataType.Float16 or DataType.Bfloat16 or DataType.Int16 or DataType.Uint16 => 2,
        DataType.Int8 or DataType.Uint8 or DataType.Bool
            or DataType.Float8E4M3Fn or DataType.Float8E4M3Fnuz or DataType.Float8E5M2 or DataType.Float8E5M2Fnuz => 1,
        _ => throw new NotSupportedException($"ONNX data type {type} has no fixed element size."),
    };

    /// <summary>Whether <paramref name="value"/> is a data type this schema names (not UNDEFINED).</summary>
    public static bool IsKnown(int value) => value is > 0 and <= (int)DataType.Float4E2M1;

    /// <summary>Two elements per byte (INT4, UINT4, FLOAT4E2M1).</summary>
    public static bool IsPacked4Bit(DataType type) => type is DataType.Int4 or DataType.Uint4 or DataType.Float4E2M1;

    /// <summary>
    /// Bytes that <paramref name="count"/> elements take in raw_data (little-endian, 4-bit types packed two per
    /// byte), or <see langword="null"/> for STRING, which has no raw form.
    /// </summary>
    /// <exception cref="OverflowException">The byte count does not fit in 64 bits.</exception>
    public static long? RawByteLength(DataType type, long count)
    {
        if (type == DataType.String)
        {
            return null;
        }

        return IsPacked4Bit(type) ? (count / 2) + (count % 2) : checked(count * SizeOf(type));
    }

    /// <summary>
    /// The typed field the ONNX spec stores <paramref name="type"/> in, and how many field entries
    /// <paramref name="count"/> elements take there.
    /// </summary>
    public static (TypedField Field, long Entries) TypedStorage(DataType type, long count) => type switch
    {
        DataType.Float => (TypedField.FloatData, count),
        DataType.Complex64 => (TypedField.FloatData, checked(count * 2)),
        DataType.Double => (TypedField.DoubleData, count),
        DataType.Complex128 => (TypedField.DoubleData, checked(count * 2)),
        DataType.Int64 => (TypedField.Int64Data, count),
        DataType.Uint32 or DataType.Uint64 => (TypedField.Uint64Data, count),
        DataType.String => (TypedField.StringData, count),
        DataType.Int4 or DataType.Uint4 or DataType.Float4E2M1 => (TypedField.Int32Data, (count / 2) + (count % 2)),
        _ => (TypedField.Int32Data, count),
    };

    public static string FieldName(TypedField field) => field switch
    {
        TypedField.FloatData => "float_data",
        TypedField.Int32Data => "int32_data",
        TypedField.Int64Data => "int64_data",
        TypedField.DoubleData => "double_data",
        TypedField.Uint64Data => "uint64_data",
        TypedField.StringData => "string_data",
        _ => "none",
    };

    /// <summary>ONNX's upper-case name for a data type, as the spec and error messages write it.</summary>
    public static string Name(int value) =>
        IsKnown(value) ? ((DataType)value).ToString().ToUpperInvariant() : value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>ONNX Runtime's element type for an ONNX data type; the numeric values are the same by design.</summary>
    public static TensorElementType ToElementType(int value) => (TensorElementType)value;

    public static int FromElementType(TensorElementType type) => (int)type;
}

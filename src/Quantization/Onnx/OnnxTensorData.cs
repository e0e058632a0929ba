using System.Buffers.Binary;
using System.Globalization;
using EdgeAI.Quantization.Onnx.Proto;
using DataType = EdgeAI.Quantization.Onnx.Proto.TensorProto.Types.DataType;
using TypedField = EdgeAI.Quantization.Onnx.OnnxDataTypes.TypedField;

namespace EdgeAI.Quantization.Onnx;

/// <summary>
/// Checks a <see cref="TensorProto"/>'s declared type and dims against the data it carries, and decodes that
/// data. Every size is computed from the declaration with overflow checks and compared with what is stored
/// before anything is allocated.
/// </summary>
internal static class OnnxTensorData
{
    private static readonly TypedField[] AllTypedFields =
    [
        TypedField.FloatData, TypedField.Int32Data, TypedField.Int64Data, TypedField.DoubleData, TypedField.Uint64Data, TypedField.StringData,
    ];

    /// <summary>The number of elements the dims describe.</summary>
    /// <exception cref="OnnxFormatException">A dim is negative or the product overflows.</exception>
    public static long ElementCount(TensorProto tensor, string? modelPath)
    {
        long count = 1;
        foreach (var dim in tensor.Dims)
        {
            if (dim < 0)
            {
                throw new OnnxFormatException($"Tensor '{tensor.Name}' has dims [{DimsText(tensor)}]; expected non-negative sizes.", modelPath);
            }

            try
            {
                count = checked(count * dim);
            }
            catch (OverflowException ex)
            {
                throw new OnnxFormatException($"Tensor '{tensor.Name}' has dims [{DimsText(tensor)}], more than 2^63 elements.", modelPath, ex);
            }
        }

        return count;
    }

    /// <summary>
    /// Checks that the tensor's storage matches its declaration: a known data type, exactly one storage
    /// (raw_data, the typed field for its type, or external data), and the right length in it.
    /// </summary>
    /// <exception cref="OnnxFormatException">Naming the tensor, the field and the expected length.</exception>
    public static void Check(TensorProto tensor, string? baseDirectory, string? modelPath)
    {
        if (!OnnxDataTypes.IsKnown(tensor.DataType))
        {
            throw new OnnxFormatException($"Tensor '{tensor.Name}' has data_type {tensor.DataType}; expected an ONNX TensorProto.DataType from 1 to {(int)DataType.Float4E2M1}.", modelPath);
        }

        var type = (DataType)tensor.DataType;
        var count = ElementCount(tensor, modelPath);
        long? rawBytes;
        (TypedField Field, long Entries) typed;
        try
        {
            rawBytes = OnnxDataTypes.RawByteLength(type, count);
            typed = OnnxDataTypes.TypedStorage(type, count);
        }
        catch (OverflowException ex)
        {
            throw new OnnxFormatException($"Tensor '{tensor.Name}' has dims [{DimsText(tensor)}] of {OnnxDataTypes.Name(tensor.DataType)}: more than 2^63 bytes.", modelPath, ex);
        }

        var external = tensor.DataLocation == TensorProto.Types.DataLocation.External;
        var present = new List<string>(2);
        if (tensor.HasRawData)
        {
            present.Add("raw_data");
        }

        foreach (var field in PresentTypedFields(tensor))
        {
            present.Add(OnnxDataTypes.FieldName(field));
        }

        if (external)
        {
            present.Add("external_data");
        }

        if (present.Count > 1)
        {
            throw new OnnxFormatException($"Tensor '{tensor.Name}' stores data in both {string.Join(" and ", present)}; expected exactly one.", modelPath);
        }

        if (present.Count == 0)
        {
            if (count == 0)
            {
                return;
            }

            throw new OnnxFormatException(
                $"Tensor '{tensor.Name}' ({OnnxDataTypes.Name(tensor.DataType)} [{DimsText(tensor)}]) has no data; expected raw_data, {OnnxDataTypes.FieldName(typed.Field)} or external_data with {count} elements.",
                modelPath);
        }

        if (tensor.HasRawData)
        {
            if (rawBytes is null)
            {
                throw new OnnxFormatException($"Tensor '{tensor.Name}' is STRING but has raw_data; expected string_data.", modelPath);
            }

            if (tensor.RawData.Length != rawBytes)
            {
                throw new OnnxFormatException(
                    $"Tensor '{tensor.Name}' has {tensor.RawData.Length} bytes of raw_data; {OnnxDataTypes.Name(tensor.DataType)} [{DimsText(tensor)}] needs {rawBytes}.",
                    modelPath);
            }

            return;
        }

        if (external)
        {
            if (rawBytes is null)
            {
                throw new OnnxFormatException($"Tensor '{tensor.Name}' is STRING but has external data; expected string_data.", modelPath);
            }

            OnnxExternalData.Resolve(tensor, baseDirectory, modelPath, rawBytes.Value);
            return;
        }

        var stored = PresentTypedFields(tensor).Single();
        if (stored != typed.Field)
        {
            throw new OnnxFormatException(
                $"Tensor '{tensor.Name}' is {OnnxDataTypes.Name(tensor.DataType)} but stores its data in {OnnxDataTypes.FieldName(stored)}; expected {OnnxDataTypes.FieldName(typed.Field)} or raw_data.",
                modelPath);
        }

        var entries = TypedCount(tensor, stored);
        if (entries != typed.Entries)
        {
            throw new OnnxFormatException(
                $"Tensor '{tensor.Name}' has {entries} entries in {OnnxDataTypes.FieldName(stored)}; {OnnxDataTypes.Name(tensor.DataType)} [{DimsText(tensor)}] needs {typed.Entries}.",
                modelPath);
        }
    }

    /// <summary>
    /// The tensor's elements as little-endian bytes, as raw_data would hold them, from whichever storage it
    /// uses. Call <see cref="Check"/> first.
    /// </summary>
    /// <exception cref="OnnxFormatException">The type has no fixed-size form (STRING) or the data is too large for one array.</exception>
    public static byte[] ReadRawBytes(TensorProto tensor, string? baseDirectory, string? modelPath)
    {
        Check(tensor, baseDirectory, modelPath);
        var type = (DataType)tensor.DataType;
        var count = ElementCount(tensor, modelPath);
        var byteLength = OnnxDataTypes.RawByteLength(type, count)
            ?? throw new OnnxFormatException($"Tensor '{tensor.Name}' is STRING; only numeric tensors can be read as bytes.", modelPath);
        if (byteLength > Array.MaxLength)
        {
            throw new OnnxFormatException($"Tensor '{tensor.Name}' holds {byteLength} bytes; at most {Array.MaxLength} can be read into one array.", modelPath);
        }

        if (tensor.HasRawData)
        {
            return tensor.RawData.ToByteArray();
        }

        if (tensor.DataLocation == TensorProto.Types.DataLocation.External)
        {
            var location = OnnxExternalData.Resolve(tensor, baseDirectory, modelPath, byteLength);
            return OnnxExternalData.Read(location, tensor.Name);
        }

        var bytes = new byte[byteLength];
        var span = bytes.AsSpan();
        switch (OnnxDataTypes.TypedStorage(type, count).Field)
        {
            case TypedField.FloatData:
                for (var i = 0; i < tensor.FloatData.Count; i++)
                {
                    BinaryPrimitives.WriteSingleLittleEndian(span[(i * 4)..], tensor.FloatData[i]);
                }

                break;
            case TypedField.DoubleData:
                for (var i = 0; i < tensor.DoubleData.Count; i++)
                {
                    BinaryPrimitives.WriteDoubleLittleEndian(span[(i * 8)..], tensor.DoubleData[i]);
                }

                break;
            case TypedField.Int64Data:
                for (var i = 0; i < tensor.Int64Data.Count; i++)
                {
                    BinaryPrimitives.WriteInt64LittleEndian(span[(i * 8)..], tensor.Int64Data[i]);
                }

                break;
            case TypedField.Uint64Data:
                var width = OnnxDataTypes.SizeOf(type);
                for (var i = 0; i < tensor.Uint64Data.Count; i++)
                {
                    if (width == 4)
                    {
                        BinaryPrimitives.WriteUInt32LittleEndian(span[(i * 4)..], (uint)tensor.Uint64Data[i]);
                    }
                    else
                    {
                        BinaryPrimitives.WriteUInt64LittleEndian(span[(i * 8)..], tensor.Uint64Data[i]);
                    }
                }

                break;
            case TypedField.Int32Data:
                WriteFromInt32Data(tensor, type, span);
                break;
            default:
                throw new OnnxFormatException($"Tensor '{tensor.Name}' of type {OnnxDataTypes.Name(tensor.DataType)} cannot be read as bytes.", modelPath);
        }

        return bytes;
    }

    /// <summary>Decodes the tensor's elements to <see cref="float"/>.</summary>
    /// <exception cref="OnnxFormatException">The type is not a real number or integer type.</exception>
    public static float[] ReadSingles(TensorProto tensor, string? baseDirectory, string? modelPath)
    {
        var type = (DataType)tensor.DataType;
        if (type is not (DataType.Float or DataType.Double or DataType.Float16 or DataType.Bfloat16 or DataType.Int8 or DataType.Uint8
            or DataType.Bool or DataType.Int16 or DataType.Uint16 or DataType.Int32 or DataType.Uint32 or DataType.Int64 or DataType.Uint64))
        {
            throw new OnnxFormatException($"Tensor '{tensor.Name}' is {OnnxDataTypes.Name(tensor.DataType)}; only real and integer tensors convert to float.", modelPath);
        }

        if (type == DataType.Float && tensor.FloatData.Count > 0)
        {
            Check(tensor, baseDirectory, modelPath);
            return [.. tensor.FloatData];
        }

        var bytes = ReadRawBytes(tensor, baseDirectory, modelPath);
        var size = OnnxDataTypes.SizeOf(type);
        var result = new float[bytes.Length / size];
        ReadOnlySpan<byte> span = bytes;
        for (var i = 0; i < result.Length; i++)
        {
            var e = span.Slice(i * size, size);
            result[i] = type switch
            {
                DataType.Float => BinaryPrimitives.ReadSingleLittleEndian(e),
                DataType.Double => (float)BinaryPrimitives.ReadDoubleLittleEndian(e),
                DataType.Float16 => (float)BinaryPrimitives.ReadHalfLittleEndian(e),
                DataType.Bfloat16 => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(e) << 16),
                DataType.Int8 => (sbyte)e[0],
                DataType.Uint8 or DataType.Bool => e[0],
                DataType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(e),
                DataType.Uint16 => BinaryPrimitives.ReadUInt16LittleEndian(e),
                DataType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(e),
                DataType.Uint32 => BinaryPrimitives.ReadUInt32LittleEndian(e),
                DataType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(e),
                _ => BinaryPrimitives.ReadUInt64LittleEndian(e),
            };
        }

        return result;
    }

    /// <summary>Decodes an integer or boolean tensor's elements to <see cref="long"/>.</summary>
    /// <exception cref="OnnxFormatException">The type is not an integer type (or is UINT64 with a value above <see cref="long.MaxValue"/>).</exception>
    public static long[] ReadInt64s(TensorProto tensor, string? baseDirectory, string? modelPath)
    {
        var type = (DataType)tensor.DataType;
        if (type is not (DataType.Int8 or DataType.Uint8 or DataType.Bool or DataType.Int16 or DataType.Uint16
            or DataType.Int32 or DataType.Uint32 or DataType.Int64 or DataType.Uint64))
        {
            throw new OnnxFormatException($"Tensor '{tensor.Name}' is {OnnxDataTypes.Name(tensor.DataType)}; only integer tensors convert to int64.", modelPath);
        }

        var bytes = ReadRawBytes(tensor, baseDirectory, modelPath);
        var size = OnnxDataTypes.SizeOf(type);
        var result = new long[bytes.Length / size];
        ReadOnlySpan<byte> span = bytes;
        for (var i = 0; i < result.Length; i++)
        {
            var e = span.Slice(i * size, size);
            result[i] = type switch
            {
                DataType.Int8 => (sbyte)e[0],
                DataType.Uint8 or DataType.Bool => e[0],
                DataType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(e),
                DataType.Uint16 => BinaryPrimitives.ReadUInt16LittleEndian(e),
                DataType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(e),
                DataType.Uint32 => BinaryPrimitives.ReadUInt32LittleEndian(e),
                DataType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(e),
                _ => ToInt64(BinaryPrimitives.ReadUInt64LittleEndian(e), tensor.Name, modelPath),
            };
        }

        return result;
    }

    public static string DimsText(TensorProto tensor) =>
        string.Join(", ", tensor.Dims.Select(d => d.ToString(CultureInfo.InvariantCulture)));

    private static long ToInt64(ulong value, string name, string? modelPath) =>
        value <= long.MaxValue
            ? (long)value
            : throw new OnnxFormatException($"Tensor '{name}' holds UINT64 value {value}, above the int64 range.", modelPath);

    private static void WriteFromInt32Data(TensorProto tensor, DataType type, Span<byte> span)
    {
        var data = tensor.Int32Data;
        if (OnnxDataTypes.IsPacked4Bit(type))
        {
            // The spec packs two 4-bit elements per int32_data entry exactly as in raw_data: one byte each.
            for (var i = 0; i < data.Count; i++)
            {
                span[i] = (byte)data[i];
            }

            return;
        }

        var size = OnnxDataTypes.SizeOf(type);
        for (var i = 0; i < data.Count; i++)
        {
            // int32_data holds one element per entry; narrower types (and FLOAT16/BFLOAT16 bit patterns) use the low bits.
            switch (size)
            {
                case 1:
                    span[i] = (byte)data[i];
                    break;
                case 2:
                    BinaryPrimitives.WriteUInt16LittleEndian(span[(i * 2)..], (ushort)data[i]);
                    break;
                default:
                    BinaryPrimitives.WriteInt32LittleEndian(span[(i * 4)..], data[i]);
                    break;
            }
        }
    }

    private static IEnumerable<TypedField> PresentTypedFields(TensorProto tensor) =>
        AllTypedFields.Where(field => TypedCount(tensor, field) > 0);

    private static long TypedCount(TensorProto tensor, TypedField field) => field switch
    {
        TypedField.FloatData => tensor.FloatData.Count,
        TypedField.Int32Data => tensor.Int32Data.Count,
        TypedField.Int64Data => tensor.Int64Data.Count,
        TypedField.DoubleData => tensor.DoubleData.Count,
        TypedField.Uint64Data => tensor.Uint64Data.Count,
        TypedField.StringData => tensor.StringData.Count,
        _ => 0,
    };
}

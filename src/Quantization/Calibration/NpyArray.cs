using System.Buffers.Binary;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeAI.Quantization.Calibration;

/// <summary>
/// An n-dimensional array read from a <c>.npy</c> file (or made in code): its element type, C-order shape and
/// elements, held as little-endian bytes whatever byte order the file used.
/// </summary>
public sealed class NpyArray
{
    private readonly byte[] _data;

    internal NpyArray(TensorElementType elementType, long[] shape, byte[] littleEndianData)
    {
        ElementType = elementType;
        Shape = shape;
        _data = littleEndianData;
    }

    /// <summary>The element type (from the file's <c>descr</c>).</summary>
    public TensorElementType ElementType { get; }

    /// <summary>The shape, outermost dimension first; empty for a scalar.</summary>
    public IReadOnlyList<long> Shape { get; }

    /// <summary>The number of elements.</summary>
    public long ElementCount => _data.Length / NpyFile.SizeOf(ElementType);

    /// <summary>A FLOAT array holding a copy of <paramref name="values"/>.</summary>
    /// <exception cref="ArgumentException">The element count does not match <paramref name="shape"/>.</exception>
    public static NpyArray FromSingles(ReadOnlySpan<float> values, params ReadOnlySpan<long> shape)
    {
        long count = 1;
        foreach (var d in shape)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(d, nameof(shape));
            count = checked(count * d);
        }

        if (count != values.Length)
        {
            throw new ArgumentException($"{values.Length} values do not fill shape ({string.Join(", ", shape.ToArray())}), which holds {count}.", nameof(shape));
        }

        var bytes = new byte[values.Length * 4];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        }

        return new NpyArray(TensorElementType.Float, shape.ToArray(), bytes);
    }

    /// <summary>The elements converted to <see cref="float"/>.</summary>
    public float[] ToSingleArray()
    {
        var size = NpyFile.SizeOf(ElementType);
        var result = new float[_data.Length / size];
        ReadOnlySpan<byte> span = _data;
        for (var i = 0; i < result.Length; i++)
        {
            var e = span.Slice(i * size, size);
            result[i] = ElementType switch
            {
                TensorElementType.Float => BinaryPrimitives.ReadSingleLittleEndian(e),
                TensorElementType.Double => (float)BinaryPrimitives.ReadDoubleLittleEndian(e),
                TensorElementType.Float16 => (float)BinaryPrimitives.ReadHalfLittleEndian(e),
                TensorElementType.Int8 => (sbyte)e[0],
                TensorElementType.UInt8 or TensorElementType.Bool => e[0],
                TensorElementType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(e),
                TensorElementType.UInt16 => BinaryPrimitives.ReadUInt16LittleEndian(e),
                TensorElementType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(e),
                TensorElementType.UInt32 => BinaryPrimitives.ReadUInt32LittleEndian(e),
                TensorElementType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(e),
                _ => BinaryPrimitives.ReadUInt64LittleEndian(e),
            };
        }

        return result;
    }

    /// <summary>The elements as little-endian bytes.</summary>
    public byte[] ToRawBytes() => (byte[])_data.Clone();

    /// <summary>An ONNX Runtime tensor over a copy of the data, with element type <paramref name="type"/> (converted from this array's type).</summary>
    /// <exception cref="NotSupportedException"><paramref name="type"/> is not FLOAT, INT64 or the array's own type.</exception>
    internal OrtValue ToOrtValue(TensorElementType type)
    {
        var shape = Shape.ToArray();
        if (type == TensorElementType.Float)
        {
            return OrtValue.CreateTensorValueFromMemory(ToSingleArray(), shape);
        }

        if (type == TensorElementType.Int64 && ElementType == TensorElementType.Int64)
        {
            var values = new long[_data.Length / 8];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = BinaryPrimitives.ReadInt64LittleEndian(_data.AsSpan(i * 8));
            }

            return OrtValue.CreateTensorValueFromMemory(values, shape);
        }

        throw new NotSupportedException($"Calibration input of type {type} from a .npy array of {ElementType} is not supported; FLOAT inputs (from any numeric array) and INT64 from INT64 are.");
    }
}

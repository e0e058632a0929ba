using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using EdgeAI.Quantization.Onnx.Proto;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime.Tensors;
using DataType = EdgeAI.Quantization.Onnx.Proto.TensorProto.Types.DataType;

namespace EdgeAI.Quantization.Onnx;

/// <summary>
/// A constant tensor: a graph initializer or a tensor attribute. Created with the <c>From…</c> factories
/// (data stored little-endian in raw_data) or read from a model, whose data may sit in raw_data, a typed
/// field (float_data, int32_data, int64_data, double_data, uint64_data) or an external file.
/// </summary>
/// <remarks>
/// A tensor read from a model is a view: it reads the model's data when asked and reflects later edits.
/// Not thread-safe while the model is being edited.
/// </remarks>
public sealed class OnnxTensor
{
    internal OnnxTensor(TensorProto proto, string? baseDirectory, string? modelPath)
    {
        Proto = proto;
        BaseDirectory = baseDirectory;
        ModelPath = modelPath;
    }

    /// <summary>The tensor's name (an initializer's name is the graph tensor it defines).</summary>
    public string Name => Proto.Name;

    /// <summary>The element type.</summary>
    public TensorElementType ElementType => OnnxDataTypes.ToElementType(Proto.DataType);

    /// <summary>The dimensions; empty for a scalar.</summary>
    public IReadOnlyList<long> Dims => Proto.Dims;

    /// <summary>The number of elements the dims describe (1 for a scalar).</summary>
    /// <exception cref="OnnxFormatException">A dim is negative or the product overflows.</exception>
    public long ElementCount => OnnxTensorData.ElementCount(Proto, ModelPath);

    /// <summary>Whether the data lives in an external file next to the model.</summary>
    public bool IsExternal => Proto.DataLocation == TensorProto.Types.DataLocation.External;

    internal TensorProto Proto { get; }

    internal string? BaseDirectory { get; }

    internal string? ModelPath { get; }

    /// <summary>A FLOAT tensor holding a copy of <paramref name="data"/>.</summary>
    /// <param name="name">Tensor name.</param>
    /// <param name="data">Elements in row-major order; their count must equal the product of <paramref name="dims"/>.</param>
    /// <param name="dims">Dimensions; none for a scalar.</param>
    /// <exception cref="ArgumentException">The element count does not match the dims, or a dim is negative.</exception>
    public static OnnxTensor FromSingles(string name, ReadOnlySpan<float> data, params ReadOnlySpan<long> dims) =>
        FromValues(name, DataType.Float, data, dims);

    /// <summary>A DOUBLE tensor holding a copy of <paramref name="data"/>.</summary>
    /// <inheritdoc cref="FromSingles" path="/param|/exception"/>
    public static OnnxTensor FromDoubles(string name, ReadOnlySpan<double> data, params ReadOnlySpan<long> dims) =>
        FromValues(name, DataType.Double, data, dims);

    /// <summary>An INT64 tensor holding a copy of <paramref name="data"/> (shapes, axes, indices).</summary>
    /// <inheritdoc cref="FromSingles" path="/param|/exception"/>
    public static OnnxTensor FromInt64s(string name, ReadOnlySpan<long> data, params ReadOnlySpan<long> dims) =>
        FromValues(name, DataType.Int64, data, dims);

    /// <summary>An INT32 tensor holding a copy of <paramref name="data"/> (e.g. a quantized bias).</summary>
    /// <inheritdoc cref="FromSingles" path="/param|/exception"/>
    public static OnnxTensor FromInt32s(string name, ReadOnlySpan<int> data, params ReadOnlySpan<long> dims) =>
        FromValues(name, DataType.Int32, data, dims);

    /// <summary>An INT8 tensor holding a copy of <paramref name="data"/> (e.g. quantized weights).</summary>
    /// <inheritdoc cref="FromSingles" path="/param|/exception"/>
    public static OnnxTensor FromInt8s(string name, ReadOnlySpan<sbyte> data, params ReadOnlySpan<long> dims) =>
        FromValues(name, DataType.Int8, data, dims);

    /// <summary>A UINT8 tensor holding a copy of <paramref name="data"/> (e.g. zero points).</summary>
    /// <inheritdoc cref="FromSingles" path="/param|/exception"/>
    public static OnnxTensor FromUInt8s(string name, ReadOnlySpan<byte> data, params ReadOnlySpan<long> dims) =>
        FromValues(name, DataType.Uint8, data, dims);

    /// <summary>Copies fixed-size little-endian elements into a new tensor's raw_data (ONNX stores raw data little-endian).</summary>
    private static OnnxTensor FromValues<T>(string name, DataType type, ReadOnlySpan<T> data, ReadOnlySpan<long> dims)
        where T : unmanaged
    {
        var size = Unsafe.SizeOf<T>();
        var bytes = Create(name, type, data.Length, size, dims, out var proto);
        MemoryMarshal.AsBytes(data).CopyTo(bytes);
        if (!BitConverter.IsLittleEndian && size > 1)
        {
            for (var i = 0; i < bytes.Length; i += size)
            {
                bytes.AsSpan(i, size).Reverse();
            }
        }

        return Finish(proto, bytes);
    }

    /// <summary>The elements converted to <see cref="float"/> (FLOAT, DOUBLE, FLOAT16, BFLOAT16 and integer types).</summary>
    /// <exception cref="OnnxFormatException">The data does not match the declaration, the external file is unreadable, or the type is not numeric.</exception>
    public float[] ToSingleArray() => OnnxTensorData.ReadSingles(Proto, BaseDirectory, ModelPath);

    /// <summary>The elements of an integer or BOOL tensor as <see cref="long"/>.</summary>
    /// <exception cref="OnnxFormatException">The data does not match the declaration, or the type is not an integer type.</exception>
    public long[] ToInt64Array() => OnnxTensorData.ReadInt64s(Proto, BaseDirectory, ModelPath);

    /// <summary>The elements as little-endian bytes, as raw_data holds them, whatever storage the file uses.</summary>
    /// <exception cref="OnnxFormatException">The data does not match the declaration, or the type is STRING.</exception>
    public byte[] ToRawBytes() => OnnxTensorData.ReadRawBytes(Proto, BaseDirectory, ModelPath);

    /// <summary>The type and dims, e.g. <c>w: Float[64, 3, 3, 3]</c>.</summary>
    public override string ToString() => $"{Name}: {ElementType}[{OnnxTensorData.DimsText(Proto)}]";

    private static byte[] Create(string name, DataType type, int count, int size, ReadOnlySpan<long> dims, out TensorProto proto)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        long expected = 1;
        foreach (var d in dims)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(d, nameof(dims));
            expected = checked(expected * d);
        }

        if (expected != count)
        {
            throw new ArgumentException($"Tensor '{name}' has {count} elements but dims [{string.Join(", ", dims.ToArray())}] need {expected}.", nameof(dims));
        }

        proto = new TensorProto { Name = name, DataType = (int)type };
        proto.Dims.AddRange(dims.ToArray());
        return new byte[checked(count * size)];
    }

    private static OnnxTensor Finish(TensorProto proto, byte[] bytes)
    {
        proto.RawData = UnsafeByteOperations.UnsafeWrap(bytes);
        return new OnnxTensor(proto, null, null);
    }
}

using EdgeAI.Quantization.Onnx;
using EdgeAI.Quantization.Onnx.Proto;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime.Tensors;
using DataType = EdgeAI.Quantization.Onnx.Proto.TensorProto.Types.DataType;

namespace EdgeAI.Quantization.Tests.Onnx;

/// <summary>Initializer data in each storage form the ONNX spec allows decodes to the same values.</summary>
public sealed class OnnxTensorTests
{
    [Fact]
    public void Raw_data_is_read_little_endian()
    {
        // 1.0f = 0x3F800000, -2.5f = 0xC0200000, written low byte first.
        var floats = Tensor(DataType.Float, [2], raw: [0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x20, 0xC0]);
        Assert.Equal([1.0f, -2.5f], floats.ToSingleArray());

        // -2 and 0x0102030405060708 as int64.
        var longs = Tensor(DataType.Int64, [2], raw: [0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01]);
        Assert.Equal([-2L, 0x0102030405060708L], longs.ToInt64Array());

        // int8 0xFF is -1; uint8 0xFF is 255.
        Assert.Equal([-1L, 127L], Tensor(DataType.Int8, [2], raw: [0xFF, 0x7F]).ToInt64Array());
        Assert.Equal([255f, 1f], Tensor(DataType.Uint8, [2], raw: [0xFF, 0x01]).ToSingleArray());

        // float16 1.0 = 0x3C00; bfloat16 1.0 = 0x3F80.
        Assert.Equal([1.0f], Tensor(DataType.Float16, [1], raw: [0x00, 0x3C]).ToSingleArray());
        Assert.Equal([1.0f], Tensor(DataType.Bfloat16, [1], raw: [0x80, 0x3F]).ToSingleArray());

        // double 0.5 = 0x3FE0000000000000.
        Assert.Equal([0.5f], Tensor(DataType.Double, [], raw: [0, 0, 0, 0, 0, 0, 0xE0, 0x3F]).ToSingleArray());
    }

    [Fact]
    public void Typed_fields_decode_like_raw_data()
    {
        var f = Tensor(DataType.Float, [3]);
        f.Proto.FloatData.AddRange([1.5f, -0.25f, 3e-8f]);
        Assert.Equal([1.5f, -0.25f, 3e-8f], f.ToSingleArray());
        Assert.Equal(OnnxTensor.FromSingles("f", [1.5f, -0.25f, 3e-8f], 3).ToRawBytes(), f.ToRawBytes());

        var i32 = Tensor(DataType.Int32, [2, 2]);
        i32.Proto.Int32Data.AddRange([1, -2, int.MaxValue, int.MinValue]);
        Assert.Equal([1L, -2L, int.MaxValue, int.MinValue], i32.ToInt64Array());

        // int8 and uint8 take one int32_data entry per element.
        var i8 = Tensor(DataType.Int8, [3]);
        i8.Proto.Int32Data.AddRange([-128, 0, 127]);
        Assert.Equal([-128L, 0L, 127L], i8.ToInt64Array());
        Assert.Equal([0x80, 0x00, 0x7F], i8.ToRawBytes());

        var u8 = Tensor(DataType.Uint8, [2]);
        u8.Proto.Int32Data.AddRange([200, 3]);
        Assert.Equal([200f, 3f], u8.ToSingleArray());

        // float16 bit patterns in int32_data: 0xC000 = -2.0.
        var h = Tensor(DataType.Float16, [1]);
        h.Proto.Int32Data.Add(0xC000);
        Assert.Equal([-2.0f], h.ToSingleArray());

        var i64 = Tensor(DataType.Int64, [2]);
        i64.Proto.Int64Data.AddRange([long.MinValue, 42]);
        Assert.Equal([long.MinValue, 42L], i64.ToInt64Array());

        var d = Tensor(DataType.Double, [2]);
        d.Proto.DoubleData.AddRange([0.1, -1e10]);
        Assert.Equal([0.1f, -1e10f], d.ToSingleArray());

        var u32 = Tensor(DataType.Uint32, [1]);
        u32.Proto.Uint64Data.Add(uint.MaxValue);
        Assert.Equal([(long)uint.MaxValue], u32.ToInt64Array());
    }

    [Fact]
    public void Factories_store_the_given_values_and_dims()
    {
        var t = OnnxTensor.FromInt8s("q", [-3, 0, 5, 127], 2, 2);
        Assert.Equal(TensorElementType.Int8, t.ElementType);
        Assert.Equal([2L, 2L], t.Dims);
        Assert.Equal(4, t.ElementCount);
        Assert.Equal([-3L, 0L, 5L, 127L], t.ToInt64Array());

        Assert.Equal([7L], OnnxTensor.FromInt32s("i", [7]).ToInt64Array());
        Assert.Empty(OnnxTensor.FromInt32s("i", [7]).Dims);
        Assert.Equal([0.25f], OnnxTensor.FromDoubles("d", [0.25], 1).ToSingleArray());
        Assert.Equal([1f, 2f], OnnxTensor.FromUInt8s("u", [1, 2], 2).ToSingleArray());

        var ex = Assert.Throws<ArgumentException>(() => OnnxTensor.FromSingles("w", [1f, 2f, 3f], 2, 2));
        Assert.Contains("'w' has 3 elements", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Non_numeric_reads_are_refused_with_the_tensor_name()
    {
        var s = Tensor(DataType.String, [1]);
        s.Proto.StringData.Add(ByteString.CopyFromUtf8("hello"));
        var ex = Assert.Throws<OnnxFormatException>(s.ToSingleArray);
        Assert.Contains("'t'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("STRING", ex.Message, StringComparison.Ordinal);

        var f = OnnxTensor.FromSingles("f", [1f], 1);
        Assert.Contains("FLOAT", Assert.Throws<OnnxFormatException>(f.ToInt64Array).Message, StringComparison.Ordinal);
    }

    private static OnnxTensor Tensor(DataType type, long[] dims, byte[]? raw = null)
    {
        var proto = new TensorProto { Name = "t", DataType = (int)type };
        proto.Dims.AddRange(dims);
        if (raw is not null)
        {
            proto.RawData = ByteString.CopyFrom(raw);
        }

        return new OnnxTensor(proto, null, null);
    }
}

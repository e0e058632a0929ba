using System.Text;
using EdgeAI.Quantization.Calibration;
using EdgeAI.TestSupport;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeAI.Quantization.Tests.Calibration;

public sealed class NpyFileTests
{
    [Fact]
    public void Reads_a_version_1_float32_file_as_numpy_writes_it()
    {
        // numpy.save of np.array([[1, 2, 3], [4, 5, -0.5]], dtype='<f4'): header padded to 128 bytes in total.
        var bytes = Npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", Floats(1, 2, 3, 4, 5, -0.5f));
        Assert.Equal(128, bytes.Length - 24);

        var array = NpyFile.Parse(bytes);
        Assert.Equal(TensorElementType.Float, array.ElementType);
        Assert.Equal([2L, 3L], array.Shape);
        Assert.Equal([1f, 2f, 3f, 4f, 5f, -0.5f], array.ToSingleArray());

        // Our writer produces exactly those bytes.
        Assert.Equal(bytes, NpyFile.ToBytes(NpyArray.FromSingles([1, 2, 3, 4, 5, -0.5f], 2, 3)));
    }

    [Fact]
    public void Reads_version_2_big_endian_integers_scalars_and_one_dimensional_shapes()
    {
        // '>i4' 1 and -2, big-endian.
        var big = NpyFile.Parse(Npy(2, "{'descr': '>i4', 'fortran_order': False, 'shape': (2,), }", [0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFE]));
        Assert.Equal(TensorElementType.Int32, big.ElementType);
        Assert.Equal([1f, -2f], big.ToSingleArray());

        var scalar = NpyFile.Parse(Npy(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (), }", BitConverter.GetBytes(0.25)));
        Assert.Empty(scalar.Shape);
        Assert.Equal([0.25f], scalar.ToSingleArray());

        var u8 = NpyFile.Parse(Npy(1, "{\"descr\": \"|u1\", \"fortran_order\": False, \"shape\": (3,)}", [0, 128, 255]));
        Assert.Equal([0f, 128f, 255f], u8.ToSingleArray());

        var empty = NpyFile.Parse(Npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 5), }", []));
        Assert.Equal(0, empty.ElementCount);
    }

    [Fact]
    public void Files_round_trip_through_disk()
    {
        using var dir = new TempDirectory();
        var values = Enumerable.Range(0, 24).Select(i => i * 0.5f - 3).ToArray();
        NpyFile.Write(dir.File("a.npy"), NpyArray.FromSingles(values, 2, 3, 4));
        var read = NpyFile.Read(dir.File("a.npy"));
        Assert.Equal([2L, 3L, 4L], read.Shape);
        Assert.Equal(values, read.ToSingleArray());
        Assert.Equal(0, new FileInfo(dir.File("a.npy")).Length % 4);
    }

    [Theory]
    [InlineData("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", "'fortran_order': True")]
    [InlineData("{'descr': '<c8', 'fortran_order': False, 'shape': (2, 3), }", "'descr': '<c8'")]
    [InlineData("{'descr': '|O', 'fortran_order': False, 'shape': (2, 3), }", "'descr': '|O'")]
    [InlineData("{'descr': '<U10', 'fortran_order': False, 'shape': (2, 3), }", "'descr': '<U10'")]
    [InlineData("{'descr': '|f4', 'fortran_order': False, 'shape': (2, 3), }", "needs byte order")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, }", "lacks key 'shape'")]
    [InlineData("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", "repeats key 'descr'")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'extra': 1, }", "unknown key 'extra'")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }", "invalid 'shape' entry")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (6), }", "trailing comma")]
    [InlineData("{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 3), }", "neither True nor False")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } x", "text after the dict")]
    [InlineData("{'descr: '<f4', 'fortran_order': False, 'shape': (2, 3), }", "expected ':'")]
    public void Malformed_headers_are_refused_with_the_field(string dict, string expected)
    {
        var ex = Assert.Throws<NpyFormatException>(() => NpyFile.Parse(Npy(1, dict, Floats(1, 2, 3, 4, 5, 6))));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_magic_version_header_length_or_data_length_is_refused()
    {
        var good = Npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", Floats(1, 2, 3, 4, 5, 6));

        var magic = (byte[])good.Clone();
        magic[1] = (byte)'X';
        Assert.Contains("magic", Message(magic), StringComparison.Ordinal);

        var version = (byte[])good.Clone();
        version[6] = 3;
        Assert.Contains("version 3.0; expected 1.0 or 2.0", Message(version), StringComparison.Ordinal);

        var longHeader = (byte[])good.Clone();
        longHeader[8] = 0xFF;
        longHeader[9] = 0xFF;
        Assert.Contains("declares a 65535-byte header", Message(longHeader), StringComparison.Ordinal);

        Assert.Contains("needs 24 (truncated)", Message(good[..^1]), StringComparison.Ordinal);
        Assert.Contains("needs 24 (trailing bytes)", Message([.. good, 0]), StringComparison.Ordinal);
        Assert.Contains("magic", Message(good[..5]), StringComparison.Ordinal);

        var noNewline = (byte[])good.Clone();
        noNewline[127] = (byte)' ';
        Assert.Contains("does not end with a newline", Message(noNewline), StringComparison.Ordinal);

        var control = (byte[])good.Clone();
        control[20] = 0x01;
        Assert.Contains("control byte 0x01", Message(control), StringComparison.Ordinal);

        var boolByte = Npy(1, "{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", [1, 7]);
        Assert.Contains("byte other than 0 or 1", Message(boolByte), StringComparison.Ordinal);
    }

    [Fact]
    public void Huge_declared_shape_is_refused_before_allocating()
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        var huge = Npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 1024), }", Floats(1));
        Assert.Contains("needs 4503599627370496 (truncated)", Message(huge), StringComparison.Ordinal);
        var overflow = Npy(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (999999999999999999, 999999999999999999), }", Floats(1));
        Assert.Contains("more than 2^63", Message(overflow), StringComparison.Ordinal);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20);

        var limited = Npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", Floats(1, 2, 3, 4, 5, 6));
        Assert.Contains("at most 16 are accepted", Assert.Throws<NpyFormatException>(() => NpyFile.Parse(limited, maxDataBytes: 16)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Random_bytes_after_a_valid_magic_are_refused()
    {
        var random = new Random(77);
        for (var i = 0; i < 2000; i++)
        {
            var bytes = new byte[random.Next(8, 300)];
            random.NextBytes(bytes);
            new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0 }.CopyTo(bytes, 0);
            var ex = Record.Exception(() => NpyFile.Parse(bytes));
            Assert.True(ex is NpyFormatException, $"case {i}: {ex?.GetType().Name ?? "no exception"}: {ex?.Message}");
        }
    }

    private static string Message(byte[] bytes) => Assert.Throws<NpyFormatException>(() => NpyFile.Parse(bytes)).Message;

    private static byte[] Floats(params float[] values) => [.. values.SelectMany(BitConverter.GetBytes)];

    /// <summary>A .npy file laid out by the format spec: magic, version, header length, dict padded to 64 bytes + '\n', data.</summary>
    private static byte[] Npy(int major, string dict, byte[] data)
    {
        var prefix = major == 1 ? 10 : 12;
        var padding = (64 - ((prefix + dict.Length + 1) % 64)) % 64;
        var header = Encoding.ASCII.GetBytes(dict + new string(' ', padding) + "\n");
        var lengthField = major == 1 ? BitConverter.GetBytes((ushort)header.Length) : BitConverter.GetBytes((uint)header.Length);
        return [0x93, .. "NUMPY"u8, (byte)major, 0, .. lengthField, .. header, .. data];
    }
}

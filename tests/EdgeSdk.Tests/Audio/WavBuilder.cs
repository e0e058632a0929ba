using System.Buffers.Binary;

namespace EdgeAI.Sdk.Tests.Audio;

/// <summary>Writes WAV files byte by byte from the format description, for reader tests (independent of the reader).</summary>
internal static class WavBuilder
{
    public static byte[] Pcm(int bits, int channels, int rate, IReadOnlyList<long> interleaved, bool extensible = false, byte[]? extraChunk = null) =>
        Build(extensible ? (ushort)0xFFFE : (ushort)1, 1, bits, channels, rate, Encode(interleaved, bits), extraChunk);

    public static byte[] Float(int bits, int channels, int rate, IReadOnlyList<double> interleaved, bool extensible = false)
    {
        var data = new byte[interleaved.Count * bits / 8];
        for (var i = 0; i < interleaved.Count; i++)
        {
            if (bits == 32)
            {
                BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(i * 4), (float)interleaved[i]);
            }
            else
            {
                BinaryPrimitives.WriteDoubleLittleEndian(data.AsSpan(i * 8), interleaved[i]);
            }
        }

        return Build(extensible ? (ushort)0xFFFE : (ushort)3, 3, bits, channels, rate, data, null);
    }

    public static byte[] Build(ushort code, ushort subFormat, int bits, int channels, int rate, byte[] data, byte[]? extraChunk, int? blockAlign = null)
    {
        using var ms = new MemoryStream();
        using var w = new BinaryWriter(ms);
        w.Write("RIFF"u8);
        w.Write(0);
        w.Write("WAVE"u8);
        if (extraChunk is not null)
        {
            w.Write(extraChunk);
        }

        w.Write("fmt "u8);
        w.Write(code == 0xFFFE ? 40 : 16);
        w.Write(code);
        w.Write((ushort)channels);
        w.Write(rate);
        var align = blockAlign ?? (channels * bits / 8);
        w.Write(rate * align);
        w.Write((ushort)align);
        w.Write((ushort)bits);
        if (code == 0xFFFE)
        {
            w.Write((ushort)22);
            w.Write((ushort)bits);
            w.Write(channels == 1 ? 4 : 3);
            w.Write(subFormat);
            w.Write(new byte[] { 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71 });
        }

        w.Write("data"u8);
        w.Write(data.Length);
        w.Write(data);
        w.Flush();
        var bytes = ms.ToArray();
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), bytes.Length - 8);
        return bytes;
    }

    /// <summary>An unknown chunk of odd size (so a pad byte follows).</summary>
    public static byte[] OddChunk() => [.. "LIST"u8, 3, 0, 0, 0, 1, 2, 3, 0];

    private static byte[] Encode(IReadOnlyList<long> values, int bits)
    {
        var width = bits / 8;
        var data = new byte[values.Count * width];
        for (var i = 0; i < values.Count; i++)
        {
            var v = bits == 8 ? values[i] + 128 : values[i];
            for (var b = 0; b < width; b++)
            {
                data[(i * width) + b] = (byte)(v >> (8 * b));
            }
        }

        return data;
    }
}

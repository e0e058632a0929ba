using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeAI.Quantization.Calibration;

/// <summary>
/// Reads and writes NumPy <c>.npy</c> files, format versions 1.0 and 2.0: the magic <c>\x93NUMPY</c>, a version,
/// a little-endian header length (2 bytes in 1.0, 4 in 2.0), an ASCII Python dict with exactly the keys
/// <c>descr</c>, <c>fortran_order</c> and <c>shape</c>, a newline, then the C-order data.
/// </summary>
/// <remarks>
/// The reader is strict: anything else (other versions, extra or repeated keys, object or string dtypes,
/// Fortran order, data shorter or longer than the shape needs) is an <see cref="NpyFormatException"/>. Sizes
/// are checked before anything is allocated. Supported dtypes: <c>f2 f4 f8 i1 u1 i2 u2 i4 u4 i8 u8 b1</c>,
/// either byte order.
/// </remarks>
public static class NpyFile
{
    /// <summary>Default for the <c>maxDataBytes</c> limit: 1 GiB.</summary>
    public const long DefaultMaxDataBytes = 1L << 30;

    // Headers numpy writes are far smaller; a larger one is not an array header.
    private const int MaxHeaderBytes = 1 << 16;

    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Reads an array from a file.</summary>
    /// <param name="path">The .npy file.</param>
    /// <param name="maxDataBytes">Largest data section accepted.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="NpyFormatException">The file is not a supported .npy array or exceeds <paramref name="maxDataBytes"/>.</exception>
    public static NpyArray Read(string path, long maxDataBytes = DefaultMaxDataBytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxDataBytes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxDataBytes, Array.MaxLength);
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new FileNotFoundException($".npy file '{path}' does not exist.", path);
        }

        if (info.Length > maxDataBytes + MaxHeaderBytes + 12)
        {
            throw new NpyFormatException($".npy file '{path}' is {info.Length} bytes; at most {maxDataBytes} bytes of data are accepted.", path);
        }

        return Parse(File.ReadAllBytes(path), maxDataBytes, path);
    }

    /// <summary>Reads an array from the bytes of a .npy file.</summary>
    /// <exception cref="NpyFormatException">The bytes are not a supported .npy array.</exception>
    public static NpyArray Parse(ReadOnlySpan<byte> bytes, long maxDataBytes = DefaultMaxDataBytes) => Parse(bytes, maxDataBytes, null);

    /// <summary>The .npy 1.0 encoding of <paramref name="array"/> (little-endian, C order).</summary>
    public static byte[] ToBytes(NpyArray array)
    {
        ArgumentNullException.ThrowIfNull(array);
        var shape = array.Shape.Count == 1
            ? $"({array.Shape[0].ToString(CultureInfo.InvariantCulture)},)"
            : $"({string.Join(", ", array.Shape.Select(d => d.ToString(CultureInfo.InvariantCulture)))})";
        var descr = DescrOf(array.ElementType);
        var dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}";

        // Pad with spaces so magic + version + length + header is a multiple of 64, ending in '\n'.
        var total = 10 + dict.Length + 1;
        var padded = dict + new string(' ', (64 - (total % 64)) % 64) + "\n";
        var header = Encoding.ASCII.GetBytes(padded);
        var data = array.ToRawBytes();
        var result = new byte[10 + header.Length + data.Length];
        Magic.CopyTo(result);
        result[6] = 1;
        result[7] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(result.AsSpan(8), checked((ushort)header.Length));
        header.CopyTo(result, 10);
        data.CopyTo(result, 10 + header.Length);
        return result;
    }

    /// <summary>Writes <paramref name="array"/> as a .npy 1.0 file.</summary>
    public static void Write(string path, NpyArray array) => File.WriteAllBytes(path, ToBytes(array));

    internal static int SizeOf(TensorElementType type) => type switch
    {
        TensorElementType.Float or TensorElementType.Int32 or TensorElementType.UInt32 => 4,
        TensorElementType.Double or TensorElementType.Int64 or TensorElementType.UInt64 => 8,
        TensorElementType.Float16 or TensorElementType.Int16 or TensorElementType.UInt16 => 2,
        _ => 1,
    };

    private static string DescrOf(TensorElementType type) => type switch
    {
        TensorElementType.Float => "<f4",
        TensorElementType.Double => "<f8",
        TensorElementType.Float16 => "<f2",
        TensorElementType.Int8 => "|i1",
        TensorElementType.UInt8 => "|u1",
        TensorElementType.Bool => "|b1",
        TensorElementType.Int16 => "<i2",
        TensorElementType.UInt16 => "<u2",
        TensorElementType.Int32 => "<i4",
        TensorElementType.UInt32 => "<u4",
        TensorElementType.Int64 => "<i8",
        _ => "<u8",
    };

    private static NpyArray Parse(ReadOnlySpan<byte> bytes, long maxDataBytes, string? path)
    {
        var where = path is null ? ".npy data" : $".npy file '{path}'";
        if (bytes.Length < 10 || !bytes[..6].SequenceEqual(Magic))
        {
            throw new NpyFormatException($"{where} does not start with the magic \\x93NUMPY; expected a NumPy .npy file.", path);
        }

        int major = bytes[6], minor = bytes[7];
        if (major is not (1 or 2) || minor != 0)
        {
            throw new NpyFormatException($"{where} has format version {major}.{minor}; expected 1.0 or 2.0.", path);
        }

        long headerLength;
        int headerStart;
        if (major == 1)
        {
            headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes[8..]);
            headerStart = 10;
        }
        else
        {
            if (bytes.Length < 12)
            {
                throw new NpyFormatException($"{where} ends inside its version 2.0 header length.", path);
            }

            headerLength = BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]);
            headerStart = 12;
        }

        if (headerLength > MaxHeaderBytes || headerStart + headerLength > bytes.Length)
        {
            throw new NpyFormatException($"{where} declares a {headerLength}-byte header but has {bytes.Length - headerStart} bytes after the length field (at most {MaxHeaderBytes} accepted).", path);
        }

        var headerBytes = bytes.Slice(headerStart, (int)headerLength);
        foreach (var b in headerBytes)
        {
            if (b is > 0x7E or (< 0x20 and not (byte)'\n'))
            {
                throw new NpyFormatException($"{where} has a non-ASCII or control byte 0x{b:X2} in its header; expected a printable Python dict.", path);
            }
        }

        var header = Encoding.ASCII.GetString(headerBytes);
        if (!header.EndsWith('\n'))
        {
            throw new NpyFormatException($"{where} header does not end with a newline; expected the dict padded with spaces and terminated by '\\n'.", path);
        }

        var (descr, fortranOrder, shape) = new HeaderParser(header, where, path).Parse();
        var (type, swap) = ParseDescr(descr, where, path);
        if (fortranOrder)
        {
            throw new NpyFormatException($"{where} has 'fortran_order': True; only C-order arrays are read (save with numpy.ascontiguousarray).", path);
        }

        var size = SizeOf(type);
        long count = 1;
        foreach (var d in shape)
        {
            count = d <= long.MaxValue / Math.Max(count, 1) ? count * d : throw new NpyFormatException($"{where} has shape ({string.Join(", ", shape)}), more than 2^63 elements.", path);
        }

        var dataStart = headerStart + (int)headerLength;
        var available = bytes.Length - dataStart;
        if (count > long.MaxValue / size)
        {
            throw new NpyFormatException($"{where} has shape ({string.Join(", ", shape)}) of '{descr}': more than 2^63 bytes.", path);
        }

        var needed = count * size;
        if (needed != available)
        {
            throw new NpyFormatException(
                $"{where} has {available} data bytes; shape ({string.Join(", ", shape)}) of '{descr}' needs {needed}{(available < needed ? " (truncated)" : " (trailing bytes)")}.",
                path);
        }

        if (needed > maxDataBytes)
        {
            throw new NpyFormatException($"{where} holds {needed} bytes of data; at most {maxDataBytes} are accepted.", path);
        }

        var data = bytes.Slice(dataStart, (int)needed).ToArray();
        if (swap)
        {
            for (var i = 0; i < data.Length; i += size)
            {
                data.AsSpan(i, size).Reverse();
            }
        }

        if (type == TensorElementType.Bool && data.Any(b => b > 1))
        {
            throw new NpyFormatException($"{where} is a bool array with a byte other than 0 or 1.", path);
        }

        return new NpyArray(type, shape, data);
    }

    private static (TensorElementType Type, bool Swap) ParseDescr(string descr, string where, string? path)
    {
        if (descr.Length == 3 && descr[0] is '<' or '>' or '|')
        {
            TensorElementType? type = descr[1..] switch
            {
                "f2" => TensorElementType.Float16,
                "f4" => TensorElementType.Float,
                "f8" => TensorElementType.Double,
                "i1" => TensorElementType.Int8,
                "u1" => TensorElementType.UInt8,
                "b1" => TensorElementType.Bool,
                "i2" => TensorElementType.Int16,
                "u2" => TensorElementType.UInt16,
                "i4" => TensorElementType.Int32,
                "u4" => TensorElementType.UInt32,
                "i8" => TensorElementType.Int64,
                "u8" => TensorElementType.UInt64,
                _ => null,
            };
            if (type is { } t)
            {
                var size = SizeOf(t);
                if (descr[0] == '|' && size != 1)
                {
                    throw new NpyFormatException($"{where} has 'descr': '{descr}'; a {size}-byte type needs byte order '<' or '>', not '|'.", path);
                }

                return (t, descr[0] == '>' && size > 1);
            }
        }

        throw new NpyFormatException($"{where} has 'descr': '{descr}'; expected one of f2 f4 f8 i1 u1 i2 u2 i4 u4 i8 u8 b1 with byte order '<', '>' or '|'.", path);
    }

    /// <summary>Parses the header dict, allowing only what numpy's format writes.</summary>
    private ref struct HeaderParser(string text, string where, string? path)
    {
        private int _pos;

        public (string Descr, bool FortranOrder, long[] Shape) Parse()
        {
            string? descr = null;
            bool? fortran = null;
            long[]? shape = null;
            Expect('{');
            while (true)
            {
                SkipSpaces();
                if (Peek() == '}')
                {
                    _pos++;
                    break;
                }

                var key = ReadString();
                Expect(':');
                switch (key)
                {
                    case "descr" when descr is null:
                        descr = ReadString();
                        break;
                    case "fortran_order" when fortran is null:
                        fortran = ReadBool();
                        break;
                    case "shape" when shape is null:
                        shape = ReadShape();
                        break;
                    case "descr" or "fortran_order" or "shape":
                        throw Error($"repeats key '{key}'");
                    default:
                        throw Error($"has unknown key '{key}'; expected only 'descr', 'fortran_order' and 'shape'");
                }

                SkipSpaces();
                if (Peek() == ',')
                {
                    _pos++;
                }
                else if (Peek() != '}')
                {
                    throw Error($"has '{Peek()}' at header offset {_pos}; expected ',' or '}}'");
                }
            }

            SkipSpaces();
            if (_pos != text.Length)
            {
                throw Error($"has text after the dict at header offset {_pos}");
            }

            return (descr ?? throw Error("lacks key 'descr'"), fortran ?? throw Error("lacks key 'fortran_order'"), shape ?? throw Error("lacks key 'shape'"));
        }

        private readonly char Peek() => _pos < text.Length ? text[_pos] : '\0';

        private void SkipSpaces()
        {
            while (_pos < text.Length && text[_pos] is ' ' or '\n')
            {
                _pos++;
            }
        }

        private void Expect(char c)
        {
            SkipSpaces();
            if (Peek() != c)
            {
                throw Error($"has '{Peek()}' at header offset {_pos}; expected '{c}'");
            }

            _pos++;
        }

        private string ReadString()
        {
            SkipSpaces();
            var quote = Peek();
            if (quote is not ('\'' or '"'))
            {
                throw Error($"has '{quote}' at header offset {_pos}; expected a quoted string");
            }

            var end = text.IndexOf(quote, _pos + 1);
            if (end < 0)
            {
                throw Error("has an unterminated string");
            }

            var value = text[(_pos + 1)..end];
            _pos = end + 1;
            return value;
        }

        private bool ReadBool()
        {
            SkipSpaces();
            if (text.AsSpan(_pos).StartsWith("True", StringComparison.Ordinal))
            {
                _pos += 4;
                return true;
            }

            if (text.AsSpan(_pos).StartsWith("False", StringComparison.Ordinal))
            {
                _pos += 5;
                return false;
            }

            throw Error($"has a 'fortran_order' that is neither True nor False at header offset {_pos}");
        }

        private long[] ReadShape()
        {
            Expect('(');
            var dims = new List<long>();
            while (true)
            {
                SkipSpaces();
                if (Peek() == ')')
                {
                    _pos++;
                    return [.. dims];
                }

                var start = _pos;
                while (_pos < text.Length && char.IsAsciiDigit(text[_pos]))
                {
                    _pos++;
                }

                if (_pos == start || _pos - start > 18 || dims.Count >= 32)
                {
                    throw Error($"has an invalid 'shape' entry at header offset {start}; expected up to 32 non-negative integers below 10^18");
                }

                dims.Add(long.Parse(text.AsSpan(start, _pos - start), NumberStyles.None, CultureInfo.InvariantCulture));
                SkipSpaces();
                if (Peek() == ',')
                {
                    _pos++;
                }
                else if (Peek() != ')')
                {
                    throw Error($"has '{Peek()}' in 'shape' at header offset {_pos}; expected ',' or ')'");
                }
                else if (dims.Count == 1)
                {
                    throw Error("has a one-element 'shape' without its trailing comma; Python writes (n,)");
                }
            }
        }

        private readonly NpyFormatException Error(string what) => new($"{where} header {what}.", path);
    }
}

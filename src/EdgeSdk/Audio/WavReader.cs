using System.Buffers.Binary;

namespace EdgeAI.Audio;

/// <summary>
/// Reads RIFF/WAVE files: integer PCM (8, 16, 24, 32 bits) and IEEE float (32, 64 bits), plain or
/// <c>WAVE_FORMAT_EXTENSIBLE</c>, any number of channels (averaged to mono). Chunks other than <c>fmt </c>
/// and <c>data</c> are skipped, honouring the pad byte after odd-sized chunks.
/// </summary>
/// <remarks>
/// Strict: every size is checked against the bytes present before anything is allocated, so truncated or
/// hostile files fail with a <see cref="WavFormatException"/> naming the field and the expected value, never
/// with a large allocation. The RIFF size field is not trusted (streaming writers leave it wrong); chunk
/// sizes are. Thread-safe (stateless).
/// </remarks>
public static class WavReader
{
    /// <summary>Default for the largest <c>data</c> chunk accepted: 256 MiB (about 46 minutes of 48 kHz stereo 16-bit).</summary>
    public const long DefaultMaxDataBytes = 256L << 20;

    private const ushort FormatPcm = 1;
    private const ushort FormatIeeeFloat = 3;
    private const ushort FormatExtensible = 0xFFFE;
    private const int MaxChannels = 256;

    // KSDATAFORMAT_SUBTYPE_* GUIDs share these 14 bytes after the 2-byte format code.
    private static ReadOnlySpan<byte> SubFormatTail => [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71];

    /// <summary>Reads a WAV file.</summary>
    /// <param name="path">The file.</param>
    /// <param name="maxDataBytes">Largest <c>data</c> chunk accepted.</param>
    /// <exception cref="WavFormatException">The file is not a WAV this reader handles, or is truncated or corrupt.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static WavAudio ReadFile(string path, long maxDataBytes = DefaultMaxDataBytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var length = new FileInfo(path).Length;
        if (length > maxDataBytes + (1 << 20))
        {
            throw new WavFormatException($"WAV '{path}' is {length} bytes; at most {maxDataBytes} bytes of samples are accepted.", path);
        }

        return Read(File.ReadAllBytes(path), path, maxDataBytes);
    }

    /// <summary>Reads a WAV file held in memory.</summary>
    /// <param name="data">The whole file.</param>
    /// <param name="sourceId">File path or stream name, for messages.</param>
    /// <param name="maxDataBytes">Largest <c>data</c> chunk accepted.</param>
    /// <exception cref="WavFormatException">The data is not a WAV this reader handles, or is truncated or corrupt.</exception>
    public static WavAudio Read(ReadOnlySpan<byte> data, string sourceId, long maxDataBytes = DefaultMaxDataBytes)
    {
        ArgumentNullException.ThrowIfNull(sourceId);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxDataBytes);
        if (data.Length < 12 || !data[..4].SequenceEqual("RIFF"u8) || !data.Slice(8, 4).SequenceEqual("WAVE"u8))
        {
            throw Error(sourceId, $"starts with {Describe(data[..Math.Min(12, data.Length)])}; expected a 12-byte header 'RIFF' <size> 'WAVE'");
        }

        WavFormat? format = null;
        var offset = 12;
        while (offset + 8 <= data.Length)
        {
            var id = data.Slice(offset, 4);
            var size = BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(offset + 4, 4));
            var body = offset + 8;
            var remaining = data.Length - body;
            var name = ChunkName(id);
            if (id.SequenceEqual("data"u8))
            {
                if (format is not { } f)
                {
                    throw Error(sourceId, "has its 'data' chunk before any 'fmt ' chunk; expected 'fmt ' first");
                }

                if (size > maxDataBytes)
                {
                    throw Error(sourceId, $"declares a 'data' chunk of {size} bytes; at most {maxDataBytes} are accepted");
                }

                if (size > remaining)
                {
                    throw Error(sourceId, $"declares a 'data' chunk of {size} bytes at offset {offset} but only {remaining} follow; the file is truncated");
                }

                if (size % f.BlockAlign != 0)
                {
                    throw Error(sourceId, $"has a 'data' chunk of {size} bytes; expected a multiple of the block align {f.BlockAlign} ({f.Channels} channel(s) x {f.BitsPerSample / 8} bytes)");
                }

                return new WavAudio(Decode(data.Slice(body, (int)size), f), f.SampleRate, f.Channels, f.BitsPerSample, f.Encoding);
            }

            if (size > remaining)
            {
                throw Error(sourceId, $"declares a '{name}' chunk of {size} bytes at offset {offset} but only {remaining} follow; the file is truncated");
            }

            if (id.SequenceEqual("fmt "u8))
            {
                format = ReadFormat(data.Slice(body, (int)size), sourceId);
            }

            // Chunks are word-aligned: an odd-sized chunk is followed by one pad byte.
            offset = body + (int)size + (int)(size & 1);
        }

        throw Error(sourceId, format is null
            ? "has no 'fmt ' chunk; expected 'fmt ' then 'data'"
            : "has no 'data' chunk; expected one after 'fmt ' (the file may be truncated)");
    }

    private static WavFormat ReadFormat(ReadOnlySpan<byte> fmt, string sourceId)
    {
        if (fmt.Length < 16)
        {
            throw Error(sourceId, $"has a 'fmt ' chunk of {fmt.Length} bytes; expected at least 16");
        }

        var code = BinaryPrimitives.ReadUInt16LittleEndian(fmt);
        int channels = BinaryPrimitives.ReadUInt16LittleEndian(fmt[2..]);
        var sampleRate = BinaryPrimitives.ReadUInt32LittleEndian(fmt[4..]);
        int blockAlign = BinaryPrimitives.ReadUInt16LittleEndian(fmt[12..]);
        int bits = BinaryPrimitives.ReadUInt16LittleEndian(fmt[14..]);
        if (code == FormatExtensible)
        {
            // cbSize(2) validBits(2) channelMask(4) subFormat GUID(16).
            if (fmt.Length < 40 || BinaryPrimitives.ReadUInt16LittleEndian(fmt[16..]) < 22)
            {
                throw Error(sourceId, $"declares WAVE_FORMAT_EXTENSIBLE with a {fmt.Length}-byte 'fmt ' chunk; expected 40 bytes with cbSize 22");
            }

            if (!fmt.Slice(26, 14).SequenceEqual(SubFormatTail))
            {
                throw Error(sourceId, "has a WAVE_FORMAT_EXTENSIBLE sub-format GUID that is not KSDATAFORMAT_SUBTYPE_PCM or _IEEE_FLOAT");
            }

            code = BinaryPrimitives.ReadUInt16LittleEndian(fmt[24..]);
        }

        var encoding = code switch
        {
            FormatPcm when bits is 8 or 16 or 24 or 32 => WavEncoding.Pcm,
            FormatIeeeFloat when bits is 32 or 64 => WavEncoding.IeeeFloat,
            FormatPcm or FormatIeeeFloat => throw Error(sourceId, $"declares {bits}-bit {(code == FormatPcm ? "PCM" : "IEEE float")}; expected PCM 8/16/24/32 or float 32/64"),
            _ => throw Error(sourceId, $"has format code 0x{code:X4}; expected PCM (1), IEEE float (3) or WAVE_FORMAT_EXTENSIBLE (0xFFFE) of one of them"),
        };

        if (channels is 0 or > MaxChannels)
        {
            throw Error(sourceId, $"declares {channels} channels; expected 1 to {MaxChannels}");
        }

        if (sampleRate is 0 or > 1_000_000)
        {
            throw Error(sourceId, $"declares a sample rate of {sampleRate} Hz; expected 1 to 1000000");
        }

        if (blockAlign != channels * bits / 8)
        {
            throw Error(sourceId, $"declares block align {blockAlign}; expected {channels * bits / 8} ({channels} channel(s) x {bits / 8} bytes)");
        }

        return new WavFormat(encoding, channels, (int)sampleRate, bits, blockAlign);
    }

    private static float[] Decode(ReadOnlySpan<byte> data, WavFormat f)
    {
        var frames = data.Length / f.BlockAlign;
        var mono = new float[frames];
        var width = f.BitsPerSample / 8;
        var mix = 1.0 / f.Channels;
        for (var i = 0; i < frames; i++)
        {
            var frame = data.Slice(i * f.BlockAlign, f.BlockAlign);
            double sum = 0;
            for (var c = 0; c < f.Channels; c++)
            {
                sum += Sample(frame.Slice(c * width, width), f);
            }

            mono[i] = (float)(sum * mix);
        }

        return mono;
    }

    private static double Sample(ReadOnlySpan<byte> s, WavFormat f) => (f.Encoding, f.BitsPerSample) switch
    {
        (WavEncoding.Pcm, 8) => (s[0] - 128) / 128.0,
        (WavEncoding.Pcm, 16) => BinaryPrimitives.ReadInt16LittleEndian(s) / 32768.0,
        (WavEncoding.Pcm, 24) => (((s[2] << 24) | (s[1] << 16) | (s[0] << 8)) >> 8) / 8388608.0,
        (WavEncoding.Pcm, _) => BinaryPrimitives.ReadInt32LittleEndian(s) / 2147483648.0,
        (_, 32) => BinaryPrimitives.ReadSingleLittleEndian(s),
        _ => BinaryPrimitives.ReadDoubleLittleEndian(s),
    };

    private static string ChunkName(ReadOnlySpan<byte> id)
    {
        Span<char> chars = stackalloc char[4];
        for (var i = 0; i < 4; i++)
        {
            chars[i] = id[i] is >= 0x20 and < 0x7F ? (char)id[i] : '?';
        }

        return new string(chars);
    }

    private static string Describe(ReadOnlySpan<byte> head) => head.IsEmpty ? "nothing (empty file)" : $"{head.Length} byte(s) {Convert.ToHexString(head)}";

    private static WavFormatException Error(string sourceId, string what) => new($"WAV '{sourceId}' {what}.", sourceId);

    private readonly record struct WavFormat(WavEncoding Encoding, int Channels, int SampleRate, int BitsPerSample, int BlockAlign);
}

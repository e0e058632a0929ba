using System.Buffers.Binary;

namespace EdgeAI.Vision;

/// <summary>
/// Reads the declared size from the first bytes of a PNG, JPEG or BMP, so a size limit can be enforced
/// before the decoder allocates anything.
/// </summary>
internal static class ImageHeaderReader
{
    private static ReadOnlySpan<byte> EndOfImage => [0xFF, 0xD9];

    private static ReadOnlySpan<byte> PngSignature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    public static ImageHeader Read(ReadOnlySpan<byte> data, string sourceId)
    {
        if (data.IsEmpty)
        {
            throw new ImageFormatException($"Image '{sourceId}' is empty (0 bytes); expected a PNG, JPEG or BMP file.", sourceId);
        }

        if (data.StartsWith(PngSignature))
        {
            return ReadPng(data, sourceId);
        }

        if (data.Length >= 2 && data[0] == 0xFF && data[1] == 0xD8)
        {
            return ReadJpeg(data, sourceId);
        }

        if (data.Length >= 2 && data[0] == (byte)'B' && data[1] == (byte)'M')
        {
            return ReadBmp(data, sourceId);
        }

        throw new ImageFormatException(
            $"Image '{sourceId}' starts with bytes {Convert.ToHexString(data[..Math.Min(8, data.Length)])}; expected a PNG (89504E47), JPEG (FFD8) or BMP ('BM') signature.",
            sourceId);
    }

    private static ImageHeader ReadPng(ReadOnlySpan<byte> data, string sourceId)
    {
        // Signature (8), then the IHDR chunk: length (4), type (4), width (4, big-endian), height (4).
        if (data.Length < 24 || !data.Slice(12, 4).SequenceEqual("IHDR"u8))
        {
            throw new ImageFormatException($"PNG '{sourceId}' has no IHDR chunk after its signature ({data.Length} bytes); expected IHDR at byte 12.", sourceId);
        }

        var width = BinaryPrimitives.ReadUInt32BigEndian(data.Slice(16, 4));
        var height = BinaryPrimitives.ReadUInt32BigEndian(data.Slice(20, 4));
        return Checked(ImageContainer.Png, width, height, sourceId);
    }

    private static ImageHeader ReadJpeg(ReadOnlySpan<byte> data, string sourceId)
    {
        // Walk the marker segments until a start-of-frame (SOFn) gives the size; a scan before it is corrupt.
        var i = 2;
        while (i + 4 <= data.Length)
        {
            if (data[i] != 0xFF)
            {
                throw new ImageFormatException($"JPEG '{sourceId}' has byte 0x{data[i]:X2} at offset {i}; expected a 0xFF marker before the frame header.", sourceId);
            }

            var marker = data[i + 1];
            if (marker == 0xFF)
            {
                i++; // fill byte
                continue;
            }

            if (marker is 0x01 or (>= 0xD0 and <= 0xD7))
            {
                i += 2; // standalone markers carry no length
                continue;
            }

            if (marker is 0xD9 or 0xDA)
            {
                break;
            }

            var length = BinaryPrimitives.ReadUInt16BigEndian(data.Slice(i + 2, 2));
            if (length < 2)
            {
                throw new ImageFormatException($"JPEG '{sourceId}' has a segment length of {length} at offset {i + 2}; expected at least 2.", sourceId);
            }

            var isStartOfFrame = marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC;
            if (isStartOfFrame)
            {
                // SOFn: length (2), precision (1), height (2), width (2).
                if (i + 9 > data.Length)
                {
                    break;
                }

                var height = BinaryPrimitives.ReadUInt16BigEndian(data.Slice(i + 5, 2));
                var width = BinaryPrimitives.ReadUInt16BigEndian(data.Slice(i + 7, 2));
                var header = Checked(ImageContainer.Jpeg, width, height, sourceId);

                // Entropy-coded data stuffs every 0xFF with 0x00, so FF D9 only occurs as the end-of-image
                // marker. Without it the file was cut off; stb would decode the missing part as gray.
                if (data[(i + 9)..].IndexOf(EndOfImage) < 0)
                {
                    throw new ImageFormatException($"JPEG '{sourceId}' ({data.Length} bytes, declared {width}x{height}) has no end-of-image marker (FFD9); expected a complete image, it looks truncated.", sourceId);
                }

                return header;
            }

            i += 2 + length;
        }

        throw new ImageFormatException($"JPEG '{sourceId}' ({data.Length} bytes) ends or starts its scan before a frame header (SOFn); expected SOF0-SOF15 with the image size.", sourceId);
    }

    private static ImageHeader ReadBmp(ReadOnlySpan<byte> data, string sourceId)
    {
        // File header (14), then the DIB header whose first field is its own size: 12 for the OS/2 core header
        // (16-bit sizes), 40 or more for BITMAPINFOHEADER and later (32-bit sizes, negative height = top-down).
        if (data.Length < 26)
        {
            throw new ImageFormatException($"BMP '{sourceId}' is {data.Length} bytes; expected at least 26 for its headers.", sourceId);
        }

        var pixelOffset = BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(10, 4));
        var dibSize = BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(14, 4));
        if (dibSize == 12)
        {
            var core = Checked(ImageContainer.Bmp, BinaryPrimitives.ReadUInt16LittleEndian(data.Slice(18, 2)), BinaryPrimitives.ReadUInt16LittleEndian(data.Slice(20, 2)), sourceId);
            CheckBmpLength(data, core, pixelOffset, BinaryPrimitives.ReadUInt16LittleEndian(data.Slice(24, 2)), compression: 0, sourceId);
            return core;
        }

        var width = BinaryPrimitives.ReadInt32LittleEndian(data.Slice(18, 4));
        var height = BinaryPrimitives.ReadInt32LittleEndian(data.Slice(22, 4));
        if (dibSize < 40 || data.Length < 34 || width <= 0 || height == 0 || height == int.MinValue)
        {
            throw new ImageFormatException($"BMP '{sourceId}' declares DIB header size {dibSize} and size {width}x{height}; expected a header of 12 or >= 40 bytes and a non-zero size.", sourceId);
        }

        var header = Checked(ImageContainer.Bmp, (uint)width, (uint)Math.Abs(height), sourceId);
        CheckBmpLength(data, header, pixelOffset, BinaryPrimitives.ReadUInt16LittleEndian(data.Slice(28, 2)), BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(30, 4)), sourceId);
        return header;
    }

    private static void CheckBmpLength(ReadOnlySpan<byte> data, ImageHeader header, uint pixelOffset, int bitsPerPixel, uint compression, string sourceId)
    {
        // Uncompressed rows (BI_RGB = 0, BI_BITFIELDS = 3) are padded to 4 bytes, so the size is known in advance;
        // stb would fill a cut-off file with zeros instead of failing.
        if (compression is not (0 or 3))
        {
            return;
        }

        var rowBytes = (((long)bitsPerPixel * header.Width) + 31) / 32 * 4;
        var needed = pixelOffset + (rowBytes * header.Height);
        if (needed > data.Length)
        {
            throw new ImageFormatException($"BMP '{sourceId}' ({header.Width}x{header.Height}, {bitsPerPixel} bits per pixel) needs {needed} bytes; the data has {data.Length}, it looks truncated.", sourceId);
        }
    }

    private static ImageHeader Checked(ImageContainer container, uint width, uint height, string sourceId)
    {
        if (width == 0 || height == 0 || width > int.MaxValue || height > int.MaxValue)
        {
            throw new ImageFormatException($"{container} '{sourceId}' declares a size of {width}x{height}; expected a width and height between 1 and {int.MaxValue}.", sourceId);
        }

        return new ImageHeader(container, (int)width, (int)height);
    }
}

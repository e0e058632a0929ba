using System.Runtime.InteropServices;
using StbImageSharp;

namespace EdgeAI.Vision;

/// <summary>
/// Decodes PNG, JPEG and BMP images into <see cref="Frame"/>s with StbImageSharp (pure managed code: no
/// native library to ship for each board). The declared size is checked against
/// <see cref="ImageDecoderOptions.MaxPixels"/> before any pixel memory is allocated.
/// </summary>
/// <remarks>
/// Thread-safe. stb decodes into a native buffer, which is copied into the frame's pooled buffer and freed; what
/// is allocated per decode is stb's decoder state (~17 KB for a small PNG, ~38 KB for a JPEG of any size) and, for
/// a PNG, up to about twice its encoded size (stb reads the chunks into arrays), so decoding is not part of the
/// allocation-free preprocessing path. Alpha is dropped, not composited; RGB to gray uses StbImageSharp's integer BT.601 weights (77, 150, 29)/256.
/// </remarks>
public sealed class ImageDecoder
{
    private readonly ImageDecoderOptions _options;

    /// <summary>Creates a decoder.</summary>
    /// <param name="options">Size limits; defaults when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public ImageDecoder(ImageDecoderOptions? options = null)
    {
        _options = options ?? new ImageDecoderOptions();
        _options.Validate();
    }

    /// <summary>The limits in force.</summary>
    public ImageDecoderOptions Options => _options;

    /// <summary>Reads the format and declared size from the first bytes of an image, without decoding it.</summary>
    /// <param name="encoded">The encoded image, or at least its first few hundred bytes.</param>
    /// <param name="sourceId">File path or frame id, for messages.</param>
    /// <exception cref="ImageFormatException">Not a PNG, JPEG or BMP, or its header is truncated or declares a zero size.</exception>
    public static ImageHeader ReadHeader(ReadOnlySpan<byte> encoded, string sourceId) => ImageHeaderReader.Read(encoded, sourceId);

    /// <summary>Decodes an image into a new frame; the caller owns (and disposes) the frame.</summary>
    /// <param name="encoded">The encoded image.</param>
    /// <param name="format">Pixel format of the frame: color images are reduced to gray or gray images expanded to RGB as needed.</param>
    /// <param name="sourceId">File path or frame id, for messages and <see cref="Frame.SourceId"/>.</param>
    /// <param name="sequenceNumber">The frame's sequence number.</param>
    /// <param name="timestamp">The frame's capture time.</param>
    /// <exception cref="ImageFormatException">
    /// The data is empty, not a PNG/JPEG/BMP, larger than <see cref="ImageDecoderOptions.MaxEncodedBytes"/> or
    /// <see cref="ImageDecoderOptions.MaxPixels"/>, truncated or corrupt.
    /// </exception>
    public Frame Decode(ReadOnlyMemory<byte> encoded, PixelFormat format, string sourceId, long sequenceNumber, DateTimeOffset timestamp)
    {
        ArgumentNullException.ThrowIfNull(sourceId);
        if (encoded.Length > _options.MaxEncodedBytes)
        {
            throw new ImageFormatException(
                $"Image '{sourceId}' is {encoded.Length} bytes; at most {_options.MaxEncodedBytes} are accepted ({nameof(ImageDecoderOptions)}.{nameof(ImageDecoderOptions.MaxEncodedBytes)}).",
                sourceId);
        }

        var header = ImageHeaderReader.Read(encoded.Span, sourceId);
        if (header.PixelCount > _options.MaxPixels)
        {
            throw new ImageFormatException(
                $"{header.Container} '{sourceId}' declares {header.Width}x{header.Height} = {header.PixelCount} pixels; at most {_options.MaxPixels} are accepted ({nameof(ImageDecoderOptions)}.{nameof(ImageDecoderOptions.MaxPixels)}).",
                sourceId);
        }

        var components = format switch
        {
            PixelFormat.Gray8 => ColorComponents.Grey,
            PixelFormat.Rgb24 => ColorComponents.RedGreenBlue,
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Expected Gray8 or Rgb24."),
        };

        Frame? frame = null;
        try
        {
            using var stream = AsStream(encoded);
            _ = StbPixels.Decode(stream, (int)components, (w, h) =>
            {
                if (w != header.Width || h != header.Height)
                {
                    throw new ImageFormatException(
                        $"{header.Container} '{sourceId}' decoded to {w}x{h}; expected the declared {header.Width}x{header.Height}.",
                        sourceId);
                }

                frame = Frame.Rent(w, h, format, sequenceNumber, timestamp, sourceId);
                return frame.Pixels;
            });
            return frame!;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            frame?.Dispose();
            if (ex is ImageFormatException)
            {
                throw;
            }

            // stb reports corrupt data with its reason, and truncated data can surface as an index or end-of-stream
            // error; all of them mean the same thing here.
            throw new ImageFormatException(
                $"{header.Container} '{sourceId}' ({encoded.Length} bytes, declared {header.Width}x{header.Height}) could not be decoded: {DecoderReason(ex)}; expected a complete, valid image.",
                sourceId, ex);
        }
    }

    private static MemoryStream AsStream(ReadOnlyMemory<byte> encoded)
    {
        // Frames from a stream usually sit in a pooled array: wrap it instead of copying it.
        return MemoryMarshal.TryGetArray(encoded, out var segment) && segment.Array is not null
            ? new MemoryStream(segment.Array, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(encoded.ToArray(), writable: false);
    }

    /// <summary>
    /// stb's reason without the NUL padding it sometimes carries (a truncated PNG gave a message of NULs and blanks),
    /// or the exception's type when nothing readable is left.
    /// </summary>
    internal static string DecoderReason(Exception ex)
    {
        var reason = ex.Message.Replace('\0', ' ').Trim();
        return reason.Length > 0 ? reason : $"{ex.GetType().Name} with no reason";
    }
}

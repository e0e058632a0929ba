using System.Numerics.Tensors;

namespace EdgeAI.Vision;

/// <summary>
/// Turns a <see cref="Frame"/> into a model's NCHW float input: bilinear resize (or center crop and resize),
/// gray/RGB conversion, scaling to [0, 1] and per-channel <c>(x - mean) / std</c>, written straight into the
/// destination span (typically <c>runner.Input&lt;float&gt;(0)</c>).
/// </summary>
/// <remarks>
/// <para>Resampling uses half-pixel centers with edge replication, the convention of OpenCV's
/// <c>cv2.resize(..., interpolation=INTER_LINEAR)</c> and PyTorch's <c>interpolate(mode="bilinear", align_corners=False)</c>;
/// there is no antialiasing when shrinking. Gray is BT.601 luma (0.299 R + 0.587 G + 0.114 B) computed in
/// float without rounding to bytes; a gray frame feeding a 3-channel model is replicated to all three planes.</para>
/// <para>After the first frame of a given size, <see cref="Process"/> allocates nothing. Not thread-safe: the
/// sampling tables are reused between calls; give each thread its own preprocessor.</para>
/// </remarks>
public sealed class ImagePreprocessor
{
    // BT.601 luma weights (ITU-R BT.601, as OpenCV's COLOR_RGB2GRAY and PIL's "L" mode).
    private const float LumaR = 0.299f;
    private const float LumaG = 0.587f;
    private const float LumaB = 0.114f;

    private readonly ImagePreprocessorOptions _options;
    private readonly BilinearAxis _xAxis;
    private readonly BilinearAxis _yAxis;
    private readonly float[] _scale;
    private readonly float[] _bias;

    /// <summary>Creates a preprocessor; the options are copied and validated.</summary>
    /// <param name="options">Size, channels and normalization, e.g. from <see cref="ImagePreprocessorOptions.FromSpec"/>.</param>
    /// <exception cref="ArgumentException">An option is out of range; the message names it.</exception>
    public ImagePreprocessor(ImagePreprocessorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = new ImagePreprocessorOptions
        {
            Width = options.Width,
            Height = options.Height,
            Channels = options.Channels,
            Mean = (float[]?)options.Mean?.Clone(),
            Std = (float[]?)options.Std?.Clone(),
            Resize = options.Resize,
            CropFraction = options.CropFraction,
        };
        _xAxis = new BilinearAxis(options.Width);
        _yAxis = new BilinearAxis(options.Height);

        // (p / 255 - mean) / std folded into p * scale + bias.
        _scale = new float[options.Channels];
        _bias = new float[options.Channels];
        for (var c = 0; c < options.Channels; c++)
        {
            double mean = options.Mean?[c] ?? 0f;
            double std = options.Std?[c] ?? 1f;
            _scale[c] = (float)(1.0 / (255.0 * std));
            _bias[c] = (float)(-mean / std);
        }
    }

    /// <summary>Tensor width in pixels.</summary>
    public int Width => _options.Width;

    /// <summary>Tensor height in pixels.</summary>
    public int Height => _options.Height;

    /// <summary>Tensor channels (1 or 3).</summary>
    public int Channels => _options.Channels;

    /// <summary>Floats written by <see cref="Process"/>: channels × height × width.</summary>
    public int TensorLength => _options.TensorLength;

    /// <summary>Writes the frame, resized and normalized, into <paramref name="destination"/> as planes C × H × W.</summary>
    /// <param name="frame">The source image (gray or RGB, any size).</param>
    /// <param name="destination">Exactly <see cref="TensorLength"/> floats, e.g. the runner's input buffer of shape [1, C, H, W].</param>
    /// <exception cref="ArgumentException"><paramref name="destination"/> has the wrong length.</exception>
    /// <exception cref="ObjectDisposedException">The frame was disposed.</exception>
    public void Process(Frame frame, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(frame);
        if (destination.Length != TensorLength)
        {
            throw new ArgumentException(
                $"Destination holds {destination.Length} floats; expected {TensorLength} ({Channels}x{Height}x{Width}, NCHW with batch 1).",
                nameof(destination));
        }

        var pixels = frame.Pixels;
        MapAxes(frame.Width, frame.Height);
        var plane = Width * Height;
        if (frame.Format == PixelFormat.Rgb24 && Channels == 3 && _xAxis.IsIdentity && _yAxis.IsIdentity)
        {
            NormalizeRgb(pixels, destination, plane);
            return;
        }

        switch (frame.Format, Channels)
        {
            case (PixelFormat.Rgb24, 3):
                SampleRgb(pixels, frame.Stride, destination, plane, toGray: false);
                break;
            case (PixelFormat.Rgb24, 1):
                SampleRgb(pixels, frame.Stride, destination, plane, toGray: true);
                break;
            default:
                SampleGray(pixels, frame.Stride, destination[..plane]);
                for (var c = 1; c < Channels; c++)
                {
                    destination[..plane].CopyTo(destination.Slice(c * plane, plane));
                }

                break;
        }

        for (var c = 0; c < Channels; c++)
        {
            var p = destination.Slice(c * plane, plane);
            TensorPrimitives.Multiply(p, _scale[c], p);
            TensorPrimitives.Add(p, _bias[c], p);
        }
    }

    private void MapAxes(int sourceWidth, int sourceHeight)
    {
        if (_options.Resize == ResizeMode.Stretch)
        {
            _xAxis.Fill(sourceWidth, 0, sourceWidth);
            _yAxis.Fill(sourceHeight, 0, sourceHeight);
            return;
        }

        // Largest centered region with the target aspect ratio, shrunk by the crop fraction.
        var targetAspect = (double)Width / Height;
        double cropWidth = sourceWidth;
        double cropHeight = sourceHeight;
        if ((double)sourceWidth / sourceHeight > targetAspect)
        {
            cropWidth = sourceHeight * targetAspect;
        }
        else
        {
            cropHeight = sourceWidth / targetAspect;
        }

        cropWidth *= _options.CropFraction;
        cropHeight *= _options.CropFraction;
        _xAxis.Fill(sourceWidth, (sourceWidth - cropWidth) / 2, cropWidth);
        _yAxis.Fill(sourceHeight, (sourceHeight - cropHeight) / 2, cropHeight);
    }

    private void SampleRgb(ReadOnlySpan<byte> src, int stride, Span<float> dst, int plane, bool toGray)
    {
        var x0 = _xAxis.Index0;
        var x1 = _xAxis.Index1;
        var wx = _xAxis.Weight1;
        var width = Width;
        for (var y = 0; y < Height; y++)
        {
            var rowA = src.Slice(_yAxis.Index0[y] * stride, stride);
            var rowB = src.Slice(_yAxis.Index1[y] * stride, stride);
            var wy = _yAxis.Weight1[y];
            var o = y * width;
            for (var x = 0; x < width; x++)
            {
                int a = x0[x] * 3, b = x1[x] * 3;
                var w = wx[x];
                var r = Lerp2(rowA[a], rowA[b], rowB[a], rowB[b], w, wy);
                var g = Lerp2(rowA[a + 1], rowA[b + 1], rowB[a + 1], rowB[b + 1], w, wy);
                var bl = Lerp2(rowA[a + 2], rowA[b + 2], rowB[a + 2], rowB[b + 2], w, wy);
                if (toGray)
                {
                    dst[o + x] = (LumaR * r) + (LumaG * g) + (LumaB * bl);
                }
                else
                {
                    dst[o + x] = r;
                    dst[plane + o + x] = g;
                    dst[(2 * plane) + o + x] = bl;
                }
            }
        }
    }

    // A frame already at the model's size: no resampling, so de-interleave and normalize in one pass. Same float
    // operations in the same order as the general path (p * scale, then + bias), so the same bits.
    private void NormalizeRgb(ReadOnlySpan<byte> src, Span<float> dst, int plane)
    {
        var red = dst[..plane];
        var green = dst.Slice(plane, plane);
        var blue = dst.Slice(2 * plane, plane);
        src = src[..(3 * plane)];
        float scaleR = _scale[0], scaleG = _scale[1], scaleB = _scale[2];
        float biasR = _bias[0], biasG = _bias[1], biasB = _bias[2];
        for (int i = 0, p = 0; i < red.Length; i++, p += 3)
        {
            red[i] = (src[p] * scaleR) + biasR;
            green[i] = (src[p + 1] * scaleG) + biasG;
            blue[i] = (src[p + 2] * scaleB) + biasB;
        }
    }

    private void SampleGray(ReadOnlySpan<byte> src, int stride, Span<float> dst)
    {
        var x0 = _xAxis.Index0;
        var x1 = _xAxis.Index1;
        var wx = _xAxis.Weight1;
        var width = Width;
        for (var y = 0; y < Height; y++)
        {
            var rowA = src.Slice(_yAxis.Index0[y] * stride, stride);
            var rowB = src.Slice(_yAxis.Index1[y] * stride, stride);
            var wy = _yAxis.Weight1[y];
            var o = y * width;
            for (var x = 0; x < width; x++)
            {
                dst[o + x] = Lerp2(rowA[x0[x]], rowA[x1[x]], rowB[x0[x]], rowB[x1[x]], wx[x], wy);
            }
        }
    }

    private static float Lerp2(byte topLeft, byte topRight, byte bottomLeft, byte bottomRight, float wx, float wy)
    {
        float top = topLeft + ((topRight - topLeft) * wx);
        float bottom = bottomLeft + ((bottomRight - bottomLeft) * wx);
        return top + ((bottom - top) * wy);
    }
}

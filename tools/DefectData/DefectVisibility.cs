namespace EdgeAI.DefectData;

/// <summary>
/// How visible a painted defect is against its surface: the defect's contrast (mean absolute change of its mask pixels)
/// over the surface's own local contrast (mean absolute deviation of the unpainted surface around the defect). A scratch
/// that changes pixels by 0.1 stands out on brushed metal (local contrast ~0.02) and hides among gravel (~0.15).
/// </summary>
/// <param name="PaintedContrast">Mean absolute change of the mask pixels over all channels, 0..1 scale, as painted (after the minimum-contrast raise, before the camera).</param>
/// <param name="SurfaceContrast">Mean absolute deviation from the per-channel mean of the unpainted surface in the mask's bounding box grown by <see cref="Margin"/> pixels.</param>
public readonly record struct DefectVisibility(double PaintedContrast, double SurfaceContrast)
{
    /// <summary>Pixels the mask's bounding box is grown by on every side (clipped to the image) for <see cref="SurfaceContrast"/>.</summary>
    public const int Margin = 4;

    /// <summary>Smallest surface contrast divided by (a flat surface has ~0; the ratio is then capped, not infinite).</summary>
    public const double SurfaceFloor = 1e-3;

    /// <summary><see cref="PaintedContrast"/> / <see cref="SurfaceContrast"/> (surface floored at <see cref="SurfaceFloor"/>); 0 without a defect.</summary>
    public double Ratio => PaintedContrast / Math.Max(SurfaceContrast, SurfaceFloor);

    /// <summary>Measures a defect from the surface before and after painting (interleaved RGB, <paramref name="size"/> square) and its mask.</summary>
    /// <returns>Zero contrasts when the mask is empty.</returns>
    /// <exception cref="ArgumentException">The buffers do not match <paramref name="size"/>.</exception>
    public static DefectVisibility Measure(ReadOnlySpan<float> surface, ReadOnlySpan<float> painted, ReadOnlySpan<byte> mask, int size)
    {
        var pixels = size * size;
        if (surface.Length != pixels * 3 || painted.Length != pixels * 3 || mask.Length != pixels)
        {
            throw new ArgumentException($"Need {pixels * 3} surface and painted values and {pixels} mask bytes for a {size}x{size} image.", nameof(mask));
        }

        int x0 = size, y0 = size, x1 = -1, y1 = -1, area = 0;
        double change = 0;
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                var p = (y * size) + x;
                if (mask[p] == 0)
                {
                    continue;
                }

                (x0, y0, x1, y1) = (Math.Min(x0, x), Math.Min(y0, y), Math.Max(x1, x), Math.Max(y1, y));
                area++;
                for (var c = 0; c < 3; c++)
                {
                    change += Math.Abs(painted[(p * 3) + c] - surface[(p * 3) + c]);
                }
            }
        }

        if (area == 0)
        {
            return default;
        }

        (x0, y0) = (Math.Max(0, x0 - Margin), Math.Max(0, y0 - Margin));
        (x1, y1) = (Math.Min(size - 1, x1 + Margin), Math.Min(size - 1, y1 + Margin));
        Span<double> mean = stackalloc double[3];
        var n = (x1 - x0 + 1) * (y1 - y0 + 1);
        for (var y = y0; y <= y1; y++)
        {
            for (var x = x0; x <= x1; x++)
            {
                for (var c = 0; c < 3; c++)
                {
                    mean[c] += surface[(((y * size) + x) * 3) + c];
                }
            }
        }

        for (var c = 0; c < 3; c++)
        {
            mean[c] /= n;
        }

        double deviation = 0;
        for (var y = y0; y <= y1; y++)
        {
            for (var x = x0; x <= x1; x++)
            {
                for (var c = 0; c < 3; c++)
                {
                    deviation += Math.Abs(surface[(((y * size) + x) * 3) + c] - mean[c]);
                }
            }
        }

        return new DefectVisibility(change / (area * 3.0), deviation / (n * 3.0));
    }
}

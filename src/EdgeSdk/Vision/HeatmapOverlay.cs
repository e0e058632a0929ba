using StbImageWriteSharp;

namespace EdgeAI.Vision;

/// <summary>
/// Draws a heatmap (e.g. a class activation map showing where a defect is) over the image it was computed
/// from, with a jet colormap, and writes the result as a PNG.
/// </summary>
/// <remarks>
/// The heatmap is resized to the image with the same bilinear half-pixel convention as
/// <see cref="ImagePreprocessor"/>, so a map computed on the model's input grid lines up with the frame when the
/// preprocessing was <see cref="ResizeMode.Stretch"/>. Values are clamped to [0, 1]; NaN counts as 0. Each output
/// pixel is <c>round((1 - opacity) * image + opacity * 255 * jet(heat))</c>. Allocates the output image; meant
/// for reports and operator screens, not the per-frame path.
/// </remarks>
public static class HeatmapOverlay
{
    /// <summary>The jet colormap: dark blue (0) through cyan, yellow to dark red (1), each channel in [0, 1].</summary>
    /// <param name="value">Heat in [0, 1]; values outside are clamped, NaN counts as 0.</param>
    public static (float R, float G, float B) Jet(float value)
    {
        var v = float.IsNaN(value) ? 0f : Math.Clamp(value, 0f, 1f);
        return (Ramp((4 * v) - 3), Ramp((4 * v) - 2), Ramp((4 * v) - 1));

        static float Ramp(float x) => Math.Clamp(1.5f - Math.Abs(x), 0f, 1f);
    }

    /// <summary>Blends the heatmap over the image into interleaved RGB bytes.</summary>
    /// <param name="image">The source image (gray or RGB).</param>
    /// <param name="heatmap">Row-major heat values, <paramref name="heatmapWidth"/> × <paramref name="heatmapHeight"/>.</param>
    /// <param name="heatmapWidth">Heatmap columns (> 0).</param>
    /// <param name="heatmapHeight">Heatmap rows (> 0).</param>
    /// <param name="rgb">Destination, exactly width × height × 3 bytes of the image.</param>
    /// <param name="opacity">Weight of the colormap in [0, 1] (default 0.5).</param>
    /// <exception cref="ArgumentException">A size does not match or the opacity is out of range.</exception>
    public static void Render(Frame image, ReadOnlySpan<float> heatmap, int heatmapWidth, int heatmapHeight, Span<byte> rgb, float opacity = 0.5f)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(heatmapWidth);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(heatmapHeight);
        if (heatmap.Length != heatmapWidth * heatmapHeight)
        {
            throw new ArgumentException($"Heatmap has {heatmap.Length} values; expected {heatmapWidth}x{heatmapHeight} = {heatmapWidth * heatmapHeight}.", nameof(heatmap));
        }

        if (rgb.Length != image.Width * image.Height * 3)
        {
            throw new ArgumentException($"Destination has {rgb.Length} bytes; expected {image.Width}x{image.Height}x3 = {image.Width * image.Height * 3}.", nameof(rgb));
        }

        if (!(opacity >= 0 && opacity <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(opacity), opacity, "Expected an opacity in [0, 1].");
        }

        var xAxis = new BilinearAxis(image.Width);
        var yAxis = new BilinearAxis(image.Height);
        xAxis.Fill(heatmapWidth, 0, heatmapWidth);
        yAxis.Fill(heatmapHeight, 0, heatmapHeight);
        var pixels = image.Pixels;
        var channels = image.Channels;
        for (var y = 0; y < image.Height; y++)
        {
            var rowA = heatmap.Slice(yAxis.Index0[y] * heatmapWidth, heatmapWidth);
            var rowB = heatmap.Slice(yAxis.Index1[y] * heatmapWidth, heatmapWidth);
            var wy = yAxis.Weight1[y];
            for (var x = 0; x < image.Width; x++)
            {
                int i0 = xAxis.Index0[x], i1 = xAxis.Index1[x];
                var wx = xAxis.Weight1[x];
                var top = Clean(rowA[i0]) + ((Clean(rowA[i1]) - Clean(rowA[i0])) * wx);
                var bottom = Clean(rowB[i0]) + ((Clean(rowB[i1]) - Clean(rowB[i0])) * wx);
                var (r, g, b) = Jet(top + ((bottom - top) * wy));

                var p = ((y * image.Width) + x) * channels;
                var o = ((y * image.Width) + x) * 3;
                rgb[o] = Blend(pixels[p], r, opacity);
                rgb[o + 1] = Blend(pixels[channels == 3 ? p + 1 : p], g, opacity);
                rgb[o + 2] = Blend(pixels[channels == 3 ? p + 2 : p], b, opacity);
            }
        }
    }

    /// <summary>Blends the heatmap over the image and writes an RGB PNG of the image's size.</summary>
    /// <param name="image">The source image (gray or RGB).</param>
    /// <param name="heatmap">Row-major heat values in [0, 1], <paramref name="heatmapWidth"/> × <paramref name="heatmapHeight"/>.</param>
    /// <param name="heatmapWidth">Heatmap columns (> 0).</param>
    /// <param name="heatmapHeight">Heatmap rows (> 0).</param>
    /// <param name="destination">Stream the PNG is written to (left open).</param>
    /// <param name="opacity">Weight of the colormap in [0, 1] (default 0.5).</param>
    /// <exception cref="ArgumentException">A size does not match or the opacity is out of range.</exception>
    public static void WritePng(Frame image, ReadOnlySpan<float> heatmap, int heatmapWidth, int heatmapHeight, Stream destination, float opacity = 0.5f)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(destination);
        var rgb = new byte[image.Width * image.Height * 3];
        Render(image, heatmap, heatmapWidth, heatmapHeight, rgb, opacity);
        new ImageWriter().WritePng(rgb, image.Width, image.Height, ColorComponents.RedGreenBlue, destination);
    }

    private static float Clean(float v) => float.IsNaN(v) ? 0f : Math.Clamp(v, 0f, 1f);

    private static byte Blend(byte pixel, float color, float opacity) =>
        (byte)Math.Clamp(MathF.Round(((1 - opacity) * pixel) + (opacity * 255f * color)), 0f, 255f);
}

namespace EdgeAI.DefectData;

/// <summary>One generated image with its label and defect mask.</summary>
/// <param name="Rgb">Interleaved 8-bit RGB, row-major, <c>Size x Size x 3</c> (what a camera delivers).</param>
/// <param name="Mask">One byte per pixel, 1 where the defect is; all zero for <see cref="DefectKind.Ok"/>.</param>
/// <param name="Label">The class.</param>
/// <param name="Surface">Name of the surface source it was drawn on.</param>
/// <param name="Size">Side length in pixels.</param>
public sealed record DefectSample(byte[] Rgb, byte[] Mask, DefectKind Label, string Surface, int Size)
{
    /// <summary>
    /// The defect's contrast as first drawn (mean absolute change of its mask pixels, 0..1 scale), before the painter
    /// raised it to <see cref="DefectDataset.MinDefectContrast"/>; 0 for <see cref="DefectKind.Ok"/>.
    /// </summary>
    public double DrawnContrast { get; init; }

    /// <summary>The defect's contrast as painted against its surface's local contrast; default for <see cref="DefectKind.Ok"/>.</summary>
    public DefectVisibility Visibility { get; init; }

    /// <summary>Number of defect pixels in <see cref="Mask"/>.</summary>
    public int MaskArea()
    {
        var n = 0;
        foreach (var m in Mask)
        {
            n += m;
        }

        return n;
    }

    /// <summary>
    /// Writes the sample as a planar CHW float tensor: pixels scaled to [0, 1], then <c>(x - mean[c]) / std[c]</c>.
    /// </summary>
    public void WriteChw(Span<float> destination, ReadOnlySpan<float> mean, ReadOnlySpan<float> std)
    {
        var plane = Size * Size;
        if (destination.Length < plane * 3 || mean.Length != 3 || std.Length != 3)
        {
            throw new ArgumentException($"Need {plane * 3} destination values and 3 means/stds.", nameof(destination));
        }

        for (var c = 0; c < 3; c++)
        {
            var scale = 1f / (255f * std[c]);
            var offset = mean[c] / std[c];
            for (var i = 0; i < plane; i++)
            {
                destination[(c * plane) + i] = (Rgb[(i * 3) + c] * scale) - offset;
            }
        }
    }
}

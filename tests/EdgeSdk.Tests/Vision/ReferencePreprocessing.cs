namespace EdgeAI.Sdk.Tests.Vision;

/// <summary>
/// An independent, deliberately plain reference for the preprocessing: double precision, one pixel at a time,
/// gray conversion before resampling (the SDK converts after; both are linear, so they must agree), the
/// source coordinate computed from the half-pixel formula for every sample, no tables and no vector code.
/// </summary>
internal static class ReferencePreprocessing
{
    public static double[] Run(
        byte[] pixels, int srcW, int srcH, int srcChannels,
        int dstW, int dstH, int dstChannels, double[] mean, double[] std,
        bool centerCrop = false, double cropFraction = 1.0)
    {
        // Source as double planes in the destination's color space.
        var planes = new double[dstChannels][];
        for (var c = 0; c < dstChannels; c++)
        {
            planes[c] = new double[srcW * srcH];
        }

        for (var i = 0; i < srcW * srcH; i++)
        {
            if (srcChannels == 3 && dstChannels == 1)
            {
                planes[0][i] = (0.299 * pixels[3 * i]) + (0.587 * pixels[(3 * i) + 1]) + (0.114 * pixels[(3 * i) + 2]);
            }
            else
            {
                for (var c = 0; c < dstChannels; c++)
                {
                    planes[c][i] = pixels[(srcChannels * i) + (srcChannels == 1 ? 0 : c)];
                }
            }
        }

        double cropX = 0, cropY = 0, cropW = srcW, cropH = srcH;
        if (centerCrop)
        {
            // Largest centered box with the destination's aspect ratio, scaled by cropFraction.
            var aspect = (double)dstW / dstH;
            cropW = Math.Min(srcW, srcH * aspect) * cropFraction;
            cropH = Math.Min(srcH, srcW / aspect) * cropFraction;
            cropX = (srcW - cropW) / 2;
            cropY = (srcH - cropH) / 2;
        }

        var result = new double[dstChannels * dstH * dstW];
        for (var c = 0; c < dstChannels; c++)
        {
            for (var y = 0; y < dstH; y++)
            {
                for (var x = 0; x < dstW; x++)
                {
                    var sx = cropX + ((x + 0.5) * cropW / dstW) - 0.5;
                    var sy = cropY + ((y + 0.5) * cropH / dstH) - 0.5;
                    var v = Sample(planes[c], srcW, srcH, sx, sy);
                    result[(c * dstH * dstW) + (y * dstW) + x] = ((v / 255.0) - mean[c]) / std[c];
                }
            }
        }

        return result;
    }

    private static double Sample(double[] plane, int w, int h, double sx, double sy)
    {
        sx = Math.Max(0, Math.Min(w - 1, sx));
        sy = Math.Max(0, Math.Min(h - 1, sy));
        var x0 = (int)Math.Floor(sx);
        var y0 = (int)Math.Floor(sy);
        var x1 = Math.Min(x0 + 1, w - 1);
        var y1 = Math.Min(y0 + 1, h - 1);
        var fx = sx - x0;
        var fy = sy - y0;
        return (plane[(y0 * w) + x0] * (1 - fx) * (1 - fy))
            + (plane[(y0 * w) + x1] * fx * (1 - fy))
            + (plane[(y1 * w) + x0] * (1 - fx) * fy)
            + (plane[(y1 * w) + x1] * fx * fy);
    }
}

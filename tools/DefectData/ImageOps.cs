namespace EdgeAI.DefectData;

/// <summary>Small float-image helpers on interleaved RGB (HWC) buffers with values in [0, 1].</summary>
internal static class ImageOps
{
    /// <summary>Separable Gaussian blur of an interleaved image with <paramref name="channels"/> channels, clamped at the borders.</summary>
    public static void GaussianBlur(Span<float> image, int width, int height, int channels, double sigma)
    {
        if (sigma < 0.2)
        {
            return;
        }

        var radius = Math.Max(1, (int)Math.Ceiling(sigma * 2.5));
        var kernel = new float[(2 * radius) + 1];
        double sum = 0;
        for (var i = -radius; i <= radius; i++)
        {
            var v = Math.Exp(-(i * i) / (2 * sigma * sigma));
            kernel[i + radius] = (float)v;
            sum += v;
        }

        for (var i = 0; i < kernel.Length; i++)
        {
            kernel[i] = (float)(kernel[i] / sum);
        }

        var tmp = new float[image.Length];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                for (var c = 0; c < channels; c++)
                {
                    float acc = 0;
                    for (var k = -radius; k <= radius; k++)
                    {
                        var xx = Math.Clamp(x + k, 0, width - 1);
                        acc += kernel[k + radius] * image[(((y * width) + xx) * channels) + c];
                    }

                    tmp[(((y * width) + x) * channels) + c] = acc;
                }
            }
        }

        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                for (var c = 0; c < channels; c++)
                {
                    float acc = 0;
                    for (var k = -radius; k <= radius; k++)
                    {
                        var yy = Math.Clamp(y + k, 0, height - 1);
                        acc += kernel[k + radius] * tmp[(((yy * width) + x) * channels) + c];
                    }

                    image[(((y * width) + x) * channels) + c] = acc;
                }
            }
        }
    }

    /// <summary>Hash of a lattice point to [0, 1): the basis of value noise.</summary>
    public static double Hash(int x, int y, ulong seed)
    {
        var h = seed ^ ((ulong)(uint)x * 0x9E3779B97F4A7C15UL) ^ ((ulong)(uint)y * 0xC2B2AE3D27D4EB4FUL);
        h ^= h >> 33;
        h *= 0xFF51AFD7ED558CCDUL;
        h ^= h >> 33;
        h *= 0xC4CEB9FE1A85EC53UL;
        h ^= h >> 33;
        return (h >> 11) * (1.0 / (1UL << 53));
    }

    /// <summary>Smooth value noise in [0, 1) at (x, y), lattice spacing 1.</summary>
    public static double ValueNoise(double x, double y, ulong seed)
    {
        var x0 = (int)Math.Floor(x);
        var y0 = (int)Math.Floor(y);
        var fx = x - x0;
        var fy = y - y0;
        var sx = fx * fx * (3 - (2 * fx));
        var sy = fy * fy * (3 - (2 * fy));
        var a = Hash(x0, y0, seed);
        var b = Hash(x0 + 1, y0, seed);
        var c = Hash(x0, y0 + 1, seed);
        var d = Hash(x0 + 1, y0 + 1, seed);
        var top = a + ((b - a) * sx);
        var bottom = c + ((d - c) * sx);
        return top + ((bottom - top) * sy);
    }

    /// <summary>Fractal (fBm) value noise, roughly in [0, 1).</summary>
    public static double Fbm(double x, double y, ulong seed, int octaves)
    {
        double sum = 0, amp = 0.5, norm = 0;
        for (var o = 0; o < octaves; o++)
        {
            sum += amp * ValueNoise(x, y, seed + (ulong)o * 7919UL);
            norm += amp;
            x *= 2.03;
            y *= 2.03;
            amp *= 0.5;
        }

        return sum / norm;
    }
}

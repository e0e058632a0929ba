using EdgeAI.Quantization.Calibration;

namespace EdgeAI.Quantization.Tests.ThirdParty;

/// <summary>
/// Deterministic synthetic text-line crops for the PaddleOCR direction classifier: a light, slightly tinted
/// background with a row of dark glyph-like strokes (a tall stem, bars and dots per glyph), upright or turned
/// 180°, normalized the way PaddleOCR does ((v / 255 − 0.5) / 0.5, CHW, 3 × 48 × 192).
/// </summary>
internal static class TextLineImages
{
    public const int Height = 48, Width = 192;

    public static float[] Create(int seed)
    {
        var random = new Random(seed);
        var rgb = new float[3 * Height * Width];
        var tint = new[] { 0.85 + (random.NextDouble() * 0.15), 0.85 + (random.NextDouble() * 0.15), 0.85 + (random.NextDouble() * 0.15) };
        var ink = 0.05 + (random.NextDouble() * 0.25);
        var ink2d = new double[Height, Width];
        // Glyphs sit on a baseline, with ascenders on some: the asymmetry the classifier uses to tell 0° from 180°.
        var baseline = 32 + random.Next(4);
        var x0 = 4 + random.Next(8);
        while (x0 < Width - 14)
        {
            var w = 7 + random.Next(6);
            var xHeight = 12 + random.Next(4);
            var tall = random.NextDouble() < 0.4;
            var top = baseline - (tall ? xHeight + 8 : xHeight);
            Fill(ink2d, x0, top, 2, baseline - top);                        // stem
            Fill(ink2d, x0, baseline - xHeight, w, 2);                       // top bar
            Fill(ink2d, x0, baseline - 2, w, 2);                             // bottom bar
            if (random.NextDouble() < 0.5)
            {
                Fill(ink2d, x0 + w - 2, baseline - xHeight, 2, xHeight);     // closing stem
            }

            if (random.NextDouble() < 0.15)
            {
                Fill(ink2d, x0 + (w / 2), baseline + 2, 2, 6);               // descender
            }

            x0 += w + 3 + random.Next(4);
        }

        var flip = (seed & 1) == 1;
        for (var y = 0; y < Height; y++)
        {
            for (var x = 0; x < Width; x++)
            {
                var (sy, sx) = flip ? (Height - 1 - y, Width - 1 - x) : (y, x);
                var a = Math.Min(1, ink2d[sy, sx]);
                for (var c = 0; c < 3; c++)
                {
                    var v = (tint[c] * (1 - a)) + (ink * a) + ((random.NextDouble() - 0.5) * 0.04);
                    rgb[(c * Height * Width) + (y * Width) + x] = (float)((Math.Clamp(v, 0, 1) - 0.5) / 0.5);
                }
            }
        }

        return rgb;
    }

    public static string Write(string directory, int firstSeed, int count)
    {
        Directory.CreateDirectory(directory);
        for (var i = 0; i < count; i++)
        {
            NpyFile.Write(Path.Combine(directory, $"{i:D3}.npy"), NpyArray.FromSingles(Create(firstSeed + i), 1, 3, Height, Width));
        }

        return directory;
    }

    private static void Fill(double[,] ink, int x, int y, int w, int h)
    {
        for (var yy = Math.Max(0, y); yy < Math.Min(Height, y + h); yy++)
        {
            for (var xx = Math.Max(0, x); xx < Math.Min(Width, x + w); xx++)
            {
                ink[yy, xx] = 1;
            }
        }
    }
}

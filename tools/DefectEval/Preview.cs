using EdgeAI.DefectData;

namespace EdgeAI.DefectEval;

/// <summary>Contact sheet of samples: each image above a copy with its mask tinted red.</summary>
internal static class Preview
{
    public static byte[] Grid(IReadOnlyList<DefectSample> samples, int columns)
    {
        var size = samples[0].Size;
        var rows = (samples.Count + columns - 1) / columns;
        var cellW = size + 2;
        var cellH = (2 * size) + 4;
        var width = columns * cellW;
        var height = rows * cellH;
        var rgb = new byte[width * height * 3];
        for (var n = 0; n < samples.Count; n++)
        {
            var s = samples[n];
            var ox = (n % columns) * cellW;
            var oy = (n / columns) * cellH;
            for (var y = 0; y < size; y++)
            {
                for (var x = 0; x < size; x++)
                {
                    for (var c = 0; c < 3; c++)
                    {
                        var v = s.Rgb[(((y * size) + x) * 3) + c];
                        rgb[((((oy + y) * width) + ox + x) * 3) + c] = v;
                        var m = s.Mask[(y * size) + x] != 0;
                        rgb[((((oy + size + 2 + y) * width) + ox + x) * 3) + c] = m ? (c == 0 ? (byte)255 : (byte)(v / 3)) : v;
                    }
                }
            }
        }

        return PngWriter.EncodeRgb(rgb, width, height);
    }

    /// <summary>Rows of image / mask / heatmap overlay (the 16x16 map bilinearly upsampled, min-max scaled, shown in red).</summary>
    public static byte[] CamGrid(IReadOnlyList<DefectSample> samples, IReadOnlyList<float[]> maps, int mapSide, int columns)
    {
        var size = samples[0].Size;
        var rows = (samples.Count + columns - 1) / columns;
        var cellW = size + 2;
        var cellH = (3 * size) + 6;
        var width = columns * cellW;
        var height = rows * cellH;
        var rgb = new byte[width * height * 3];
        for (var n = 0; n < samples.Count; n++)
        {
            var s = samples[n];
            var map = maps[n];
            var lo = map.Min();
            var hi = map.Max();
            var ox = (n % columns) * cellW;
            var oy = (n / columns) * cellH;
            var cell = (double)size / mapSide;
            for (var y = 0; y < size; y++)
            {
                for (var x = 0; x < size; x++)
                {
                    // Cell j is centred on pixel cell * j (receptive-field centre of the two stride-2 convolutions).
                    var fy = Math.Clamp(y / cell, 0, mapSide - 1);
                    var fx = Math.Clamp(x / cell, 0, mapSide - 1);
                    int y0 = (int)fy, x0 = (int)fx;
                    int y1 = Math.Min(y0 + 1, mapSide - 1), x1 = Math.Min(x0 + 1, mapSide - 1);
                    double ty = fy - y0, tx = fx - x0;
                    var v = ((map[(y0 * mapSide) + x0] * (1 - tx) * (1 - ty)) + (map[(y0 * mapSide) + x1] * tx * (1 - ty))
                        + (map[(y1 * mapSide) + x0] * (1 - tx) * ty) + (map[(y1 * mapSide) + x1] * tx * ty) - lo) / Math.Max(hi - lo, 1e-6);
                    for (var c = 0; c < 3; c++)
                    {
                        var p = s.Rgb[(((y * size) + x) * 3) + c];
                        rgb[((((oy + y) * width) + ox + x) * 3) + c] = p;
                        var m = s.Mask[(y * size) + x] != 0;
                        rgb[((((oy + size + 2 + y) * width) + ox + x) * 3) + c] = m ? (c == 0 ? (byte)255 : (byte)(p / 3)) : p;
                        var heat = c == 0 ? 255 * v : p * (1 - v) / 2;
                        rgb[((((oy + (2 * size) + 4 + y) * width) + ox + x) * 3) + c] = (byte)Math.Clamp((p * 0.35) + (heat * 0.65), 0, 255);
                    }
                }
            }
        }

        return PngWriter.EncodeRgb(rgb, width, height);
    }
}

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
}

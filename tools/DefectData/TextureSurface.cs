namespace EdgeAI.DefectData;

/// <summary>A surface sampled from a decoded texture image, tiled, with random scale, rotation, offset and colour.</summary>
public sealed class TextureSurface : SurfaceSource
{
    private readonly float[] _rgb;
    private readonly int _width;
    private readonly int _height;
    private readonly bool _gray;
    private readonly double _baseScale;

    /// <summary>Creates a source from interleaved RGB pixels in [0, 1].</summary>
    /// <param name="family">Source family.</param>
    /// <param name="name">Unique name.</param>
    /// <param name="rgb">Interleaved RGB, <paramref name="width"/> x <paramref name="height"/>.</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <param name="baseScale">Texture pixels per output pixel at scale 1 (large photos are sampled coarser).</param>
    public TextureSurface(string family, string name, float[] rgb, int width, int height, double baseScale)
        : base(family, name)
    {
        ArgumentNullException.ThrowIfNull(rgb);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 8);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 8);
        if (rgb.Length != width * height * 3)
        {
            throw new ArgumentException($"Texture '{name}' has {rgb.Length} values; expected {width}x{height}x3.", nameof(rgb));
        }

        _rgb = rgb;
        _width = width;
        _height = height;
        _baseScale = baseScale;
        var gray = true;
        for (var i = 0; i < rgb.Length && gray; i += 3)
        {
            gray = Math.Abs(rgb[i] - rgb[i + 1]) < 1e-6 && Math.Abs(rgb[i] - rgb[i + 2]) < 1e-6;
        }

        _gray = gray;
    }

    /// <inheritdoc />
    public override void Render(SeededRandom rng, Span<float> rgb, int size)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var angle = rng.Uniform(0, 2 * Math.PI);
        var scale = _baseScale * Math.Exp(rng.Uniform(Math.Log(0.6), Math.Log(1.6)));
        var cos = Math.Cos(angle) * scale;
        var sin = Math.Sin(angle) * scale;
        var ox = rng.Uniform(0, _width);
        var oy = rng.Uniform(0, _height);
        var flip = rng.Chance(0.5) ? -1.0 : 1.0;

        // Grayscale photos get a material tint; colour textures a mild per-channel gain.
        Span<double> gain = stackalloc double[3];
        if (_gray)
        {
            var hue = rng.Uniform(0, 1);
            var sat = rng.Uniform(0, 0.35);
            HsvToRgb(hue, sat, 1.0, gain);
        }
        else
        {
            for (var c = 0; c < 3; c++)
            {
                gain[c] = rng.Uniform(0.88, 1.12);
            }
        }

        var contrast = rng.Uniform(0.7, 1.25);
        var brightness = rng.Uniform(-0.08, 0.08);
        double mean = 0;
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                var u = (x - (size / 2.0)) * flip;
                var v = y - (size / 2.0);
                var tx = ox + (cos * u) - (sin * v);
                var ty = oy + (sin * u) + (cos * v);
                var o = ((y * size) + x) * 3;
                Sample(tx, ty, rgb.Slice(o, 3));
                mean += rgb[o] + rgb[o + 1] + rgb[o + 2];
            }
        }

        mean /= size * size * 3;
        for (var i = 0; i < size * size * 3; i++)
        {
            var value = ((rgb[i] - mean) * contrast) + mean + brightness;
            rgb[i] = (float)Math.Clamp(value * gain[i % 3], 0, 1);
        }
    }

    internal static void HsvToRgb(double h, double s, double v, Span<double> rgb)
    {
        var i = (int)Math.Floor(h * 6) % 6;
        var f = (h * 6) - Math.Floor(h * 6);
        var p = v * (1 - s);
        var q = v * (1 - (f * s));
        var t = v * (1 - ((1 - f) * s));
        (rgb[0], rgb[1], rgb[2]) = i switch
        {
            0 => (v, t, p),
            1 => (q, v, p),
            2 => (p, v, t),
            3 => (p, q, v),
            4 => (t, p, v),
            _ => (v, p, q),
        };
    }

    private void Sample(double x, double y, Span<float> dst)
    {
        var x0 = (int)Math.Floor(x);
        var y0 = (int)Math.Floor(y);
        var fx = (float)(x - x0);
        var fy = (float)(y - y0);
        var xa = Mod(x0, _width);
        var xb = Mod(x0 + 1, _width);
        var ya = Mod(y0, _height);
        var yb = Mod(y0 + 1, _height);
        for (var c = 0; c < 3; c++)
        {
            var a = _rgb[(((ya * _width) + xa) * 3) + c];
            var b = _rgb[(((ya * _width) + xb) * 3) + c];
            var d = _rgb[(((yb * _width) + xa) * 3) + c];
            var e = _rgb[(((yb * _width) + xb) * 3) + c];
            var top = a + ((b - a) * fx);
            var bottom = d + ((e - d) * fx);
            dst[c] = top + ((bottom - top) * fy);
        }
    }

    private static int Mod(int a, int m)
    {
        var r = a % m;
        return r < 0 ? r + m : r;
    }
}

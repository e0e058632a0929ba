namespace EdgeAI.DefectData;

/// <summary>
/// A procedurally generated material: brushed metal, wood, woven fabric or plastic. Each source is one
/// fixed parameter set (palette, frequencies, grain) derived from its family and variant number; every
/// render adds a random view (offset, rotation) and small colour jitter.
/// </summary>
public sealed class ProceduralSurface : SurfaceSource
{
    /// <summary>The procedural families.</summary>
    public static IReadOnlyList<string> Families { get; } = ["metal", "wood", "fabric", "plastic"];

    private readonly ulong _seed;
    private readonly double[] _colorA = new double[3];
    private readonly double[] _colorB = new double[3];
    private readonly double _frequency;
    private readonly double _roughness;
    private readonly double _detail;

    /// <summary>Creates variant <paramref name="variant"/> of <paramref name="family"/>.</summary>
    public ProceduralSurface(string family, int variant)
        : base(family, $"{family}/{variant}")
    {
        if (!Families.Contains(family))
        {
            throw new ArgumentException($"Unknown procedural family '{family}'; expected one of {string.Join(", ", Families)}.", nameof(family));
        }

        var familyIndex = (ulong)Families.ToList().IndexOf(family);
        _seed = SeededRandom.Mix(0x5EED_5A7F_ACE5UL, familyIndex, (ulong)variant);
        var rng = new SeededRandom(_seed);
        switch (family)
        {
            case "metal":
            {
                var v = rng.Uniform(0.45, 0.8);
                var tint = rng.Uniform(0, 1);
                TextureSurface.HsvToRgb(tint, rng.Uniform(0, 0.15), v, _colorA);
                TextureSurface.HsvToRgb(tint, rng.Uniform(0, 0.15), v * rng.Uniform(0.75, 0.9), _colorB);
                _frequency = rng.Uniform(0.6, 2.5);     // streak density across the brushing direction
                _roughness = rng.Uniform(0.04, 0.16);   // streak contrast
                _detail = rng.Uniform(0.01, 0.05);      // fine grain
                break;
            }

            case "wood":
            {
                var hue = rng.Uniform(0.05, 0.11);
                TextureSurface.HsvToRgb(hue, rng.Uniform(0.35, 0.7), rng.Uniform(0.6, 0.9), _colorA);
                TextureSurface.HsvToRgb(hue, rng.Uniform(0.5, 0.85), rng.Uniform(0.3, 0.55), _colorB);
                _frequency = rng.Uniform(0.08, 0.3);    // rings per pixel
                _roughness = rng.Uniform(2, 8);         // ring distortion in pixels
                _detail = rng.Uniform(0.02, 0.06);
                break;
            }

            case "fabric":
            {
                var hue = rng.Uniform(0, 1);
                TextureSurface.HsvToRgb(hue, rng.Uniform(0.1, 0.7), rng.Uniform(0.4, 0.85), _colorA);
                TextureSurface.HsvToRgb(rng.Chance(0.5) ? hue : rng.Uniform(0, 1), rng.Uniform(0.1, 0.7), rng.Uniform(0.3, 0.75), _colorB);
                _frequency = rng.Uniform(2.5, 5.5);     // thread period in pixels
                _roughness = rng.Uniform(0.1, 0.3);     // weave shading
                _detail = rng.Uniform(0.02, 0.07);
                break;
            }

            default:
            {
                var hue = rng.Uniform(0, 1);
                TextureSurface.HsvToRgb(hue, rng.Uniform(0, 0.8), rng.Uniform(0.25, 0.95), _colorA);
                Array.Copy(_colorA, _colorB, 3);
                _frequency = rng.Uniform(0.03, 0.12);   // low-frequency mottling scale
                _roughness = rng.Uniform(0.01, 0.05);   // mottling contrast
                _detail = rng.Uniform(0.005, 0.03);     // orange-peel grain
                break;
            }
        }
    }

    /// <inheritdoc />
    public override void Render(SeededRandom rng, Span<float> rgb, int size)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var angle = rng.Uniform(0, 2 * Math.PI);
        var cos = Math.Cos(angle);
        var sin = Math.Sin(angle);
        var ox = rng.Uniform(-500, 500);
        var oy = rng.Uniform(-500, 500);
        var viewSeed = rng.NextUInt64();
        var jitter = rng.Uniform(0.9, 1.1);
        Span<double> a = stackalloc double[3];
        Span<double> b = stackalloc double[3];
        for (var c = 0; c < 3; c++)
        {
            a[c] = _colorA[c] * jitter * rng.Uniform(0.96, 1.04);
            b[c] = _colorB[c] * jitter * rng.Uniform(0.96, 1.04);
        }

        var woodCenter = rng.Uniform(40, 200);
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                // Material coordinates: rotated and offset view of an infinite surface.
                var u = ox + (cos * x) - (sin * y);
                var v = oy + (sin * x) + (cos * y);
                double t;
                double shade;
                switch (Family)
                {
                    case "metal":
                    {
                        // Brushing: noise stretched ~40x along u.
                        var streak = ImageOps.Fbm(u * 0.025, v * _frequency, _seed, 3);
                        var band = ImageOps.Fbm(u * 0.01, v * 0.03, _seed + 11, 2);
                        t = band;
                        shade = 1 + (_roughness * (streak - 0.5) * 2) + (_detail * (ImageOps.Hash((int)Math.Floor(u), (int)Math.Floor(v), viewSeed) - 0.5));
                        break;
                    }

                    case "wood":
                    {
                        var warp = _roughness * (ImageOps.Fbm(u * 0.03, v * 0.006, _seed, 3) - 0.5) * 2;
                        var r = Math.Sqrt(((v + woodCenter) * (v + woodCenter)) + (u * u * 0.002)) + warp;
                        var ring = 0.5 + (0.5 * Math.Sin(2 * Math.PI * _frequency * r));
                        t = Math.Pow(ring, 2.5);
                        shade = 1 + (_detail * (ImageOps.Fbm(u * 0.6, v * 0.08, _seed + 3, 2) - 0.5) * 4);
                        break;
                    }

                    case "fabric":
                    {
                        var pu = u / _frequency;
                        var pv = v / _frequency;
                        var cu = (int)Math.Floor(pu);
                        var cv = (int)Math.Floor(pv);
                        var warpOnTop = ((cu + cv) & 1) == 0;
                        var fu = pu - cu;
                        var fv = pv - cv;
                        var thread = warpOnTop ? Math.Sin(Math.PI * fu) : Math.Sin(Math.PI * fv);
                        t = warpOnTop ? 0 : 1;
                        shade = 1 - _roughness + (_roughness * thread) + (_detail * (ImageOps.Fbm(u * 0.3, v * 0.3, _seed, 2) - 0.5) * 3);
                        break;
                    }

                    default:
                    {
                        t = 0;
                        shade = 1 + (_roughness * (ImageOps.Fbm(u * _frequency, v * _frequency, _seed, 3) - 0.5) * 4)
                            + (_detail * (ImageOps.ValueNoise(u * 0.7, v * 0.7, viewSeed) - 0.5) * 2);
                        break;
                    }
                }

                var o = ((y * size) + x) * 3;
                for (var c = 0; c < 3; c++)
                {
                    rgb[o + c] = (float)Math.Clamp(((a[c] * (1 - t)) + (b[c] * t)) * shade, 0, 1);
                }
            }
        }
    }
}

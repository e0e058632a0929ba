namespace EdgeAI.DefectData;

/// <summary>
/// A procedural stone aggregate: gravel, crushed stone, concrete and terrazzo-like surfaces, drawn as Voronoi stones with
/// a tone, a lit side and a shadowed side each, separated by dark gaps (loose gravel) or a cement matrix (concrete). It is a
/// training-only family (see <see cref="DefectDataset.AggregateTrainingSurfaces"/>): every render draws a fresh parameter
/// set, so no two views share one, and no validation or test source is of this family.
/// </summary>
public sealed class AggregateSurface : SurfaceSource
{
    /// <summary>Family name; its one source renders a fresh aggregate every time.</summary>
    public const string FamilyName = "aggregate";

    /// <summary>Creates the source.</summary>
    public AggregateSurface()
        : base(FamilyName, FamilyName + "/fresh")
    {
    }

    /// <inheritdoc />
    public override void Render(SeededRandom rng, Span<float> rgb, int size)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (rgb.Length < size * size * 3)
        {
            throw new ArgumentException($"The buffer holds {rgb.Length} values; a {size}x{size} RGB view needs {size * size * 3}.", nameof(rgb));
        }

        // Stone size (pixels between stone centres), log-uniform from fine grit to coarse gravel.
        var cell = Math.Exp(rng.Uniform(Math.Log(3.5), Math.Log(14)));
        var jitter = rng.Uniform(0.75, 1.0);
        var concrete = rng.Chance(0.35);
        // Gap (or matrix) half-width in cell units, measured on F2 - F1 (the distance to the stones' border, doubled).
        var gap = concrete ? rng.Uniform(0.15, 0.45) : rng.Uniform(0.03, 0.16);
        var greyish = rng.Chance(0.7);
        var hue = rng.Uniform(0, 1);
        var saturation = greyish ? rng.Uniform(0, 0.12) : rng.Uniform(0.12, 0.4);
        var value = rng.Uniform(0.35, 0.8);
        var toneSpread = rng.Uniform(0.08, 0.35);
        var hueSpread = greyish ? rng.Uniform(0, 0.03) : rng.Uniform(0.01, 0.08);
        var shadeStrength = rng.Uniform(0.05, 0.6);
        var lightAngle = rng.Uniform(0, 2 * Math.PI);
        var lx = Math.Cos(lightAngle);
        var ly = Math.Sin(lightAngle);
        var grain = rng.Uniform(0.01, 0.06);
        var stoneTexture = rng.Uniform(0, 0.2);
        // Domain warp in cell units: irregular, angular stones instead of a clean Voronoi tiling.
        var warp = rng.Uniform(0, 0.5);
        // Loose gravel: gaps are shadow; concrete: a cement matrix about as bright as the stones, with its own grain.
        var gapLevel = concrete ? rng.Uniform(0.75, 1.15) : rng.Uniform(0.1, 0.45);
        var seed = rng.NextUInt64();
        var angle = rng.Uniform(0, 2 * Math.PI);
        var cos = Math.Cos(angle) / cell;
        var sin = Math.Sin(angle) / cell;
        var ox = rng.Uniform(-1000, 1000);
        var oy = rng.Uniform(-1000, 1000);

        Span<double> baseRgb = stackalloc double[3];
        Span<double> stoneRgb = stackalloc double[3];
        TextureSurface.HsvToRgb(hue, saturation, value, baseRgb);
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                // Surface coordinates in cell units.
                var u = ox + (cos * x) - (sin * y);
                var v = oy + (sin * x) + (cos * y);
                var wu = u + (warp * 2 * (ImageOps.Fbm(u * 0.6, v * 0.6, seed + 3, 2) - 0.5));
                var wv = v + (warp * 2 * (ImageOps.Fbm(u * 0.6, v * 0.6, seed + 4, 2) - 0.5));
                var (id, f1, f2, dx, dy) = Nearest(wu, wv, jitter, seed);
                var border = f2 - f1;
                var o = ((y * size) + x) * 3;
                if (border < gap)
                {
                    // In the gap: shadow (gravel) or cement matrix (concrete), with a little grain.
                    var matrix = gapLevel * (1 + (grain * 3 * (ImageOps.ValueNoise(u * cell * 0.8, v * cell * 0.8, seed + 5) - 0.5)));
                    for (var c = 0; c < 3; c++)
                    {
                        rgb[o + c] = (float)Math.Clamp(baseRgb[c] * matrix, 0, 1);
                    }

                    continue;
                }

                var tone = Math.Exp(toneSpread * Normalish(id, seed + 1));
                var stoneHue = hue + (hueSpread * Normalish(id, seed + 2));
                TextureSurface.HsvToRgb(stoneHue - Math.Floor(stoneHue), saturation, Math.Clamp(value * tone, 0, 1), stoneRgb);
                // Dome lighting: the side of the stone facing the light is brighter; the rim darkens towards the gap.
                var lit = 1 + (shadeStrength * 2 * ((dx * lx) + (dy * ly)));
                var rim = Math.Min(1, 0.75 + ((border - gap) * 2.5));
                var shade = lit * rim
                    * (1 + (stoneTexture * 4 * (ImageOps.Fbm(u * 1.7, v * 1.7, seed + (ulong)id, 2) - 0.5)))
                    * (1 + (grain * 2 * (ImageOps.Hash((int)Math.Floor(u * cell), (int)Math.Floor(v * cell), seed + 9) - 0.5)));
                for (var c = 0; c < 3; c++)
                {
                    rgb[o + c] = (float)Math.Clamp(stoneRgb[c] * shade, 0, 1);
                }
            }
        }
    }

    /// <summary>
    /// The nearest jittered-grid feature point to (u, v): its cell id, the distances to the nearest and second nearest
    /// points (F1, F2) and the offset from the nearest point to (u, v).
    /// </summary>
    internal static (int Id, double F1, double F2, double Dx, double Dy) Nearest(double u, double v, double jitter, ulong seed)
    {
        var gx = (int)Math.Floor(u);
        var gy = (int)Math.Floor(v);
        double f1 = double.MaxValue, f2 = double.MaxValue, bdx = 0, bdy = 0;
        var id = 0;
        for (var j = gy - 1; j <= gy + 1; j++)
        {
            for (var i = gx - 1; i <= gx + 1; i++)
            {
                var px = i + 0.5 + (jitter * (ImageOps.Hash(i, j, seed) - 0.5));
                var py = j + 0.5 + (jitter * (ImageOps.Hash(i, j, seed ^ 0xA5A5_5A5A_1234_4321UL) - 0.5));
                var dx = u - px;
                var dy = v - py;
                var d = Math.Sqrt((dx * dx) + (dy * dy));
                if (d < f1)
                {
                    f2 = f1;
                    f1 = d;
                    bdx = dx;
                    bdy = dy;
                    id = unchecked((i * 73856093) ^ (j * 19349663));
                }
                else if (d < f2)
                {
                    f2 = d;
                }
            }
        }

        return (id, f1, f2, bdx, bdy);
    }

    /// <summary>A per-stone value with mean 0 and standard deviation ~1 (sum of three uniforms, scaled).</summary>
    private static double Normalish(int id, ulong seed) =>
        (ImageOps.Hash(id, 1, seed) + ImageOps.Hash(id, 2, seed) + ImageOps.Hash(id, 3, seed) - 1.5) * 2;
}

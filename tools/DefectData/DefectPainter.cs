namespace EdgeAI.DefectData;

/// <summary>
/// Draws one defect onto an interleaved RGB image (values in [0, 1]) and marks its pixels in a mask.
/// Every defect is drawn as an anti-aliased coverage map first; the mask is the coverage above 0.3.
/// </summary>
/// <remarks>
/// A drawn defect must be visible, or its label is noise: ~6% of drawn defects (mostly faint spots and shallow dents,
/// also dark cracks on near-black textures) changed their pixels by a few levels, below the sensor noise added later.
/// So after drawing, the defect's contrast (mean absolute change of the mask's pixels, all channels, 0..1 scale) is
/// raised to at least <see cref="MinContrast"/> by scaling the change; where clipping at 0 or 1 prevents that (dark on
/// black) the change is redrawn with one polarity, away from the clipped end.
/// The same holds relative to the surface: a spot that changes pixels by 0.1 stands out on brushed metal and cannot be
/// seen among gravel. With a minimum visibility <c>v</c> the contrast is raised to at least <c>v</c> times the surface's own
/// local contrast (<see cref="DefectVisibility.SurfaceContrast"/>), as far as clipping allows.
/// </remarks>
internal static class DefectPainter
{
    /// <summary>Least mean absolute change over a defect's mask pixels (0..1 scale; ~20 of 255 levels).</summary>
    public const double MinContrast = DefectDataset.MinDefectContrast;

    private const float MaskCoverage = 0.3f;

    /// <summary>
    /// Draws a defect of <paramref name="kind"/> and returns its contrast as drawn, before raising it to
    /// <see cref="MinContrast"/> or <paramref name="minVisibility"/> times the local surface contrast, whichever is higher.
    /// </summary>
    public static double Paint(DefectKind kind, SeededRandom rng, Span<float> rgb, Span<byte> mask, int size, double minVisibility = 0) =>
        Paint(kind, rng, rgb, mask, size, minVisibility, out _);

    /// <summary>As the overload above, and measures the painted defect against the unpainted surface.</summary>
    /// <param name="kind">The defect class; <see cref="DefectKind.Ok"/> paints nothing.</param>
    /// <param name="rng">Draws the defect's shape, place and strength.</param>
    /// <param name="rgb">Interleaved RGB in [0, 1], painted in place.</param>
    /// <param name="mask">Set to 1 on the defect's pixels.</param>
    /// <param name="size">Side length of the image.</param>
    /// <param name="minVisibility">Least visibility the defect is raised to (0: only the absolute minimum contrast).</param>
    /// <param name="visibility">The painted defect against the unpainted surface (default for <see cref="DefectKind.Ok"/>).</param>
    /// <returns>The defect's contrast as drawn, before any raise.</returns>
    public static double Paint(DefectKind kind, SeededRandom rng, Span<float> rgb, Span<byte> mask, int size, double minVisibility, out DefectVisibility visibility)
    {
        visibility = default;
        var before = rgb.ToArray();
        var coverage = new float[size * size];
        switch (kind)
        {
            case DefectKind.Scratch:
                Scratch(rng, rgb, coverage, size);
                break;
            case DefectKind.Crack:
                Crack(rng, rgb, coverage, size);
                break;
            case DefectKind.Spot:
                Spot(rng, rgb, coverage, size);
                break;
            case DefectKind.Hole:
                Hole(rng, rgb, coverage, size);
                break;
            case DefectKind.Dent:
                Dent(rng, rgb, coverage, size);
                break;
            default:
                return 0;
        }

        for (var i = 0; i < coverage.Length; i++)
        {
            mask[i] = coverage[i] > MaskCoverage ? (byte)1 : (byte)0;
        }

        var drawn = Contrast(before, rgb, mask);
        var target = MinContrast;
        if (minVisibility > 0)
        {
            target = Math.Max(target, minVisibility * DefectVisibility.Measure(before, before, mask, size).SurfaceContrast);
        }

        if (drawn < target)
        {
            Amplify(before, rgb, mask, target / Math.Max(drawn, 1e-3), target);
        }

        visibility = DefectVisibility.Measure(before, rgb, mask, size);
        return drawn;
    }

    /// <summary>Mean absolute change of the masked pixels (all channels), 0 for an empty mask.</summary>
    public static double Contrast(ReadOnlySpan<float> before, ReadOnlySpan<float> after, ReadOnlySpan<byte> mask)
    {
        double sum = 0;
        var n = 0;
        for (var i = 0; i < mask.Length; i++)
        {
            if (mask[i] == 0)
            {
                continue;
            }

            n++;
            for (var c = 0; c < 3; c++)
            {
                sum += Math.Abs(after[(i * 3) + c] - before[(i * 3) + c]);
            }
        }

        return n == 0 ? 0 : sum / (3 * n);
    }

    // Scales every pixel's change by `gain` (the defect keeps its shape). If clipping at 0 or 1 keeps it below 3/4 of
    // `target` (a dark crack on black), the change is redrawn with one polarity, away from the clipped end: light
    // on a dark surface, dark on a light one.
    private static void Amplify(float[] before, Span<float> rgb, ReadOnlySpan<byte> mask, double gain, double target)
    {
        var delta = new float[rgb.Length];
        double level = 0;
        var n = 0;
        for (var i = 0; i < rgb.Length; i++)
        {
            delta[i] = rgb[i] - before[i];
            if (mask[i / 3] != 0)
            {
                level += before[i];
                n++;
            }
        }

        var g = (float)gain;
        for (var i = 0; i < rgb.Length; i++)
        {
            rgb[i] = Math.Clamp(before[i] + (g * delta[i]), 0f, 1f);
        }

        if (Contrast(before, rgb, mask) >= target * 0.75)
        {
            return;
        }

        var direction = level / Math.Max(n, 1) < 0.5 ? 1f : -1f;
        for (var i = 0; i < rgb.Length; i++)
        {
            rgb[i] = Math.Clamp(before[i] + (direction * g * Math.Abs(delta[i])), 0f, 1f);
        }
    }

    private static (double X, double Y) Center(SeededRandom rng, int size, double margin) =>
        (rng.Uniform(margin, size - margin), rng.Uniform(margin, size - margin));

    /// <summary>Coverage of a thick polyline: 1 inside half the width, falling off over one pixel.</summary>
    private static void StrokePolyline(List<(double X, double Y)> points, double width, float[] coverage, int size)
    {
        for (var s = 0; s + 1 < points.Count; s++)
        {
            var (ax, ay) = points[s];
            var (bx, by) = points[s + 1];
            var minX = Math.Max(0, (int)Math.Floor(Math.Min(ax, bx) - width - 1));
            var maxX = Math.Min(size - 1, (int)Math.Ceiling(Math.Max(ax, bx) + width + 1));
            var minY = Math.Max(0, (int)Math.Floor(Math.Min(ay, by) - width - 1));
            var maxY = Math.Min(size - 1, (int)Math.Ceiling(Math.Max(ay, by) + width + 1));
            var dx = bx - ax;
            var dy = by - ay;
            var len2 = Math.Max((dx * dx) + (dy * dy), 1e-9);
            for (var y = minY; y <= maxY; y++)
            {
                for (var x = minX; x <= maxX; x++)
                {
                    var px = x + 0.5;
                    var py = y + 0.5;
                    var t = Math.Clamp((((px - ax) * dx) + ((py - ay) * dy)) / len2, 0, 1);
                    var ex = px - (ax + (t * dx));
                    var ey = py - (ay + (t * dy));
                    var d = Math.Sqrt((ex * ex) + (ey * ey));
                    var c = (float)Math.Clamp((width / 2) + 0.5 - d, 0, 1);
                    var i = (y * size) + x;
                    coverage[i] = Math.Max(coverage[i], c);
                }
            }
        }
    }

    private static void Scratch(SeededRandom rng, Span<float> rgb, float[] coverage, int size)
    {
        var length = rng.Uniform(10, 40);
        var (cx, cy) = Center(rng, size, 8);
        var angle = rng.Uniform(0, Math.PI);
        var bend = rng.Uniform(-0.02, 0.02);
        var points = new List<(double, double)>();
        var steps = 12;
        var x = cx - (Math.Cos(angle) * length / 2);
        var y = cy - (Math.Sin(angle) * length / 2);
        for (var i = 0; i <= steps; i++)
        {
            points.Add((x, y));
            x += Math.Cos(angle) * length / steps;
            y += Math.Sin(angle) * length / steps;
            angle += bend * length / steps;
        }

        StrokePolyline(points, rng.Uniform(0.7, 1.8), coverage, size);
        var bright = rng.Chance(0.6);
        var strength = rng.Uniform(0.3, 0.85);
        Apply(rgb, coverage, size, (v, _) => bright ? v + ((1 - v) * strength) : v * (1 - strength));
    }

    private static void Crack(SeededRandom rng, Span<float> rgb, float[] coverage, int size)
    {
        var (x, y) = Center(rng, size, 10);
        var angle = rng.Uniform(0, 2 * Math.PI);
        var length = rng.Uniform(12, 36);
        var width = rng.Uniform(0.8, 1.6);
        var branches = new List<List<(double, double)>>();
        var main = new List<(double, double)> { (x, y) };
        for (double walked = 0; walked < length; walked += 2.5)
        {
            angle += rng.Uniform(-0.7, 0.7);
            x += Math.Cos(angle) * 2.5;
            y += Math.Sin(angle) * 2.5;
            main.Add((x, y));
            if (rng.Chance(0.06) && branches.Count < 2)
            {
                var b = new List<(double, double)> { (x, y) };
                var ba = angle + (rng.Chance(0.5) ? 1 : -1) * rng.Uniform(0.5, 1.2);
                double bx = x, by = y;
                for (var k = 0; k < rng.NextInt(2, 6); k++)
                {
                    ba += rng.Uniform(-0.6, 0.6);
                    bx += Math.Cos(ba) * 2.5;
                    by += Math.Sin(ba) * 2.5;
                    b.Add((bx, by));
                }

                branches.Add(b);
            }
        }

        StrokePolyline(main, width, coverage, size);
        foreach (var b in branches)
        {
            StrokePolyline(b, width * 0.7, coverage, size);
        }

        var darkness = rng.Uniform(0.45, 0.9);
        Apply(rgb, coverage, size, (v, _) => v * (1 - darkness));
    }

    private static void Spot(SeededRandom rng, Span<float> rgb, float[] coverage, int size)
    {
        var radius = rng.Uniform(3, 10);
        var (cx, cy) = Center(rng, size, radius + 2);
        var aspect = rng.Uniform(0.6, 1.0);
        var rot = rng.Uniform(0, Math.PI);
        var edge = rng.Uniform(0.8, 2.5);
        var noiseSeed = rng.NextUInt64();
        var tint = new double[3];
        var dark = rng.Chance(0.75);
        TextureSurface.HsvToRgb(rng.Uniform(0.0, 0.15), rng.Uniform(0.2, 0.9), dark ? rng.Uniform(0.05, 0.45) : rng.Uniform(0.75, 1.0), tint);
        var strength = rng.Uniform(0.35, 0.85);
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                var dx = x + 0.5 - cx;
                var dy = y + 0.5 - cy;
                var u = (dx * Math.Cos(rot)) + (dy * Math.Sin(rot));
                var v = ((-dx * Math.Sin(rot)) + (dy * Math.Cos(rot))) / aspect;
                var theta = Math.Atan2(v, u);
                var r = radius * (1 + (0.35 * (ImageOps.Fbm(Math.Cos(theta) * 1.5, Math.Sin(theta) * 1.5, noiseSeed, 2) - 0.5)));
                var d = Math.Sqrt((u * u) + (v * v));
                coverage[(y * size) + x] = (float)Math.Clamp((r - d) / edge, 0, 1);
            }
        }

        Apply(rgb, coverage, size, (value, c) => (float)((value * (1 - strength)) + (value * tint[c] * strength) + ((dark ? 0 : tint[c]) * strength * 0.3)));
    }

    private static void Hole(SeededRandom rng, Span<float> rgb, float[] coverage, int size)
    {
        var radius = rng.Uniform(1.8, 5);
        var (cx, cy) = Center(rng, size, radius + 3);
        var core = (float)rng.Uniform(0.02, 0.15);
        var rimStrength = rng.Uniform(0.2, 0.6);
        var light = rng.Uniform(0, 2 * Math.PI);
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                var dx = x + 0.5 - cx;
                var dy = y + 0.5 - cy;
                var d = Math.Sqrt((dx * dx) + (dy * dy));
                var inside = (float)Math.Clamp(radius + 0.5 - d, 0, 1);
                coverage[(y * size) + x] = inside;
                var o = ((y * size) + x) * 3;

                // Lit rim: a one-pixel ring outside the edge, brighter on the side facing the light.
                var rim = Math.Clamp(1 - Math.Abs(d - radius - 0.8), 0, 1) * (1 - inside);
                var facing = 0.5 + (0.5 * Math.Cos(Math.Atan2(dy, dx) - light));
                for (var c = 0; c < 3; c++)
                {
                    var v = rgb[o + c];
                    v += (float)((1 - v) * rim * rimStrength * facing);
                    v = (v * (1 - inside)) + (core * v * inside) + (core * 0.3f * inside);
                    rgb[o + c] = v;
                }
            }
        }
    }

    private static void Dent(SeededRandom rng, Span<float> rgb, float[] coverage, int size)
    {
        var radius = rng.Uniform(5, 12);
        var (cx, cy) = Center(rng, size, radius * 0.7);
        var aspect = rng.Uniform(0.6, 1.0);
        var rot = rng.Uniform(0, Math.PI);
        var shading = rng.Uniform(0.25, 0.6);
        var light = rng.Uniform(0, 2 * Math.PI);
        var lx = Math.Cos(light);
        var ly = Math.Sin(light);

        // Local blur: the dent's curved floor is out of the focal plane and smears the texture.
        var blurred = rgb.ToArray();
        ImageOps.GaussianBlur(blurred, size, size, 3, rng.Uniform(1.0, 2.0));
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                var dx = x + 0.5 - cx;
                var dy = y + 0.5 - cy;
                var u = ((dx * Math.Cos(rot)) + (dy * Math.Sin(rot))) / radius;
                var v = ((-dx * Math.Sin(rot)) + (dy * Math.Cos(rot))) / (radius * aspect);
                var r2 = (u * u) + (v * v);
                if (r2 >= 1)
                {
                    continue;
                }

                // Depth profile h = -(1 - r^2)^2; its slope along the light direction gives the shading.
                var k = 1 - r2;
                var gu = 4 * u * k;
                var gv = 4 * v * k;
                var gx = (gu * Math.Cos(rot)) - (gv * Math.Sin(rot) / aspect);
                var gy = (gu * Math.Sin(rot)) + (gv * Math.Cos(rot) / aspect);
                var lit = 1 + (shading * ((gx * lx) + (gy * ly)) * 0.8);
                var w = k * k;
                var i = (y * size) + x;
                coverage[i] = (float)Math.Clamp(k * 1.6, 0, 1);
                for (var c = 0; c < 3; c++)
                {
                    var mixed = (rgb[(i * 3) + c] * (1 - w)) + (blurred[(i * 3) + c] * w);
                    rgb[(i * 3) + c] = (float)Math.Clamp(mixed * lit, 0, 1);
                }
            }
        }
    }

    private static void Apply(Span<float> rgb, float[] coverage, int size, Func<float, int, double> target)
    {
        for (var i = 0; i < size * size; i++)
        {
            var a = coverage[i];
            if (a <= 0)
            {
                continue;
            }

            for (var c = 0; c < 3; c++)
            {
                var v = rgb[(i * 3) + c];
                rgb[(i * 3) + c] = (float)Math.Clamp((v * (1 - a)) + (target(v, c) * a), 0, 1);
            }
        }
    }
}

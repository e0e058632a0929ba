namespace EdgeAI.DefectData.Tests;

public sealed class AggregateSurfaceTests
{
    private const int Size = DefectDataset.ImageSize;

    [Fact]
    public void Nearest_stone_agrees_with_a_brute_force_search_of_every_nearby_feature_point()
    {
        // The 3x3 search of Nearest against every feature point of the 7x7 cells around (u, v), computed here from the same
        // hash: F1, the nearest point's offset and its cell must match exactly; F2 is at least F1.
        const ulong seed = 0xC0FFEE;
        const double jitter = 0.9;
        var rng = new SeededRandom(7);
        for (var t = 0; t < 2000; t++)
        {
            var u = rng.Uniform(-300, 300);
            var v = rng.Uniform(-300, 300);
            var (id, f1, f2, dx, dy) = AggregateSurface.Nearest(u, v, jitter, seed);
            var best = double.MaxValue;
            (int I, int J) cell = default;
            for (var j = (int)Math.Floor(v) - 3; j <= (int)Math.Floor(v) + 3; j++)
            {
                for (var i = (int)Math.Floor(u) - 3; i <= (int)Math.Floor(u) + 3; i++)
                {
                    var px = i + 0.5 + (jitter * (ImageOps.Hash(i, j, seed) - 0.5));
                    var py = j + 0.5 + (jitter * (ImageOps.Hash(i, j, seed ^ 0xA5A5_5A5A_1234_4321UL) - 0.5));
                    var d = Math.Sqrt(((u - px) * (u - px)) + ((v - py) * (v - py)));
                    if (d < best)
                    {
                        best = d;
                        cell = (i, j);
                    }
                }
            }

            Assert.Equal(best, f1, 12);
            Assert.Equal(unchecked((cell.I * 73856093) ^ (cell.J * 19349663)), id);
            Assert.Equal(f1, Math.Sqrt((dx * dx) + (dy * dy)), 12);
            Assert.True(f2 >= f1, $"F2 {f2} below F1 {f1} at ({u}, {v})");
        }
    }

    [Fact]
    public void Every_render_is_a_fresh_busy_aggregate_in_range_and_repeatable_from_its_seed()
    {
        var surface = new AggregateSurface();
        var deviations = new List<double>();
        float[]? previous = null;
        for (ulong seed = 0; seed < 40; seed++)
        {
            var rgb = new float[Size * Size * 3];
            surface.Render(new SeededRandom(seed), rgb, Size);
            var again = new float[Size * Size * 3];
            surface.Render(new SeededRandom(seed), again, Size);
            Assert.Equal(rgb, again);
            Assert.All(rgb, x => Assert.InRange(x, 0f, 1f));
            if (previous is not null)
            {
                Assert.NotEqual(previous, rgb);
            }

            previous = rgb;
            var mean = rgb.Average();
            deviations.Add(rgb.Average(x => Math.Abs(x - mean)));
        }

        // Stones with their own tone, a lit side and gaps: a busy surface (the metal and plastic families' views deviate by
        // ~0.01-0.03), though some views (fine grit, faint tones) are calm.
        deviations.Sort();
        Assert.True(deviations[20] > 0.04, $"median mean absolute deviation {deviations[20]:F4}");
        Assert.Throws<ArgumentException>(() => surface.Render(new SeededRandom(1), new float[10], Size));
    }

    [Fact]
    public void Aggregate_surfaces_go_to_training_only_and_leave_validation_and_test_unchanged()
    {
        var plain = DefectDataset.Create(DefectDataset.DefaultSeed);
        var withAggregate = DefectDataset.Create(DefectDataset.DefaultSeed, aggregateTrainingSurfaces: true);
        Assert.True(withAggregate.AggregateTrainingSurfaces);
        Assert.NotEqual(plain.Fingerprint, withAggregate.Fingerprint);
        foreach (var split in new[] { SurfaceSplit.Test, SurfaceSplit.Validation })
        {
            Assert.Equal(plain.SourcesOf(split).Select(s => s.Name), withAggregate.SourcesOf(split).Select(s => s.Name));
            for (var i = 0; i < 40; i++)
            {
                Assert.Equal(plain.Generate(split, i).Rgb, withAggregate.Generate(split, i).Rgb);
            }
        }

        Assert.DoesNotContain(plain.SourcesOf(SurfaceSplit.Train), s => s.Family == AggregateSurface.FamilyName);
        Assert.Single(withAggregate.SourcesOf(SurfaceSplit.Train), s => s.Family == AggregateSurface.FamilyName);

        // Families are drawn evenly: with six others, about 1/7 of training samples (n = 700, expected 100, sd ~9.3).
        var onAggregate = Enumerable.Range(0, 700).Count(i => withAggregate.Generate(SurfaceSplit.Train, i).Surface == "aggregate/fresh");
        Assert.InRange(onAggregate, 70, 130);
    }
}

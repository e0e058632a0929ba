namespace EdgeAI.DefectData.Tests;

public sealed class DetectionMetricsTests
{
    /// <summary>Independent definition: P(score of positive > score of negative) + 0.5 P(equal), over all pairs.</summary>
    private static double BruteForceAuc(double[] scores, bool[] positive)
    {
        double wins = 0;
        long pairs = 0;
        for (var i = 0; i < scores.Length; i++)
        {
            if (!positive[i])
            {
                continue;
            }

            for (var j = 0; j < scores.Length; j++)
            {
                if (positive[j])
                {
                    continue;
                }

                pairs++;
                wins += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0;
            }
        }

        return wins / pairs;
    }

    [Theory]
    [InlineData(1UL, 50, 0)]
    [InlineData(2UL, 300, 0)]
    [InlineData(3UL, 300, 5)]
    [InlineData(4UL, 1000, 20)]
    public void RocAuc_matches_brute_force_pairwise_count_including_ties(ulong seed, int n, int distinctValues)
    {
        var rng = new SeededRandom(seed);
        var scores = new double[n];
        var positive = new bool[n];
        for (var i = 0; i < n; i++)
        {
            positive[i] = rng.Chance(0.4);

            // Positives score higher on average; with distinctValues > 0 many scores tie.
            var s = rng.Normal() + (positive[i] ? 1.0 : 0.0);
            scores[i] = distinctValues > 0 ? Math.Round(s * distinctValues / 4) : s;
        }

        positive[0] = true;
        positive[1] = false;
        var auc = DetectionMetrics.RocAuc(scores, positive);
        Assert.Equal(BruteForceAuc(scores, positive), auc, 12);
        Assert.InRange(auc, 0.55, 0.95);
    }

    [Fact]
    public void RocAuc_known_cases()
    {
        Assert.Equal(1.0, DetectionMetrics.RocAuc([0.1, 0.2, 0.8, 0.9], [false, false, true, true]));
        Assert.Equal(0.0, DetectionMetrics.RocAuc([0.9, 0.8, 0.2, 0.1], [false, false, true, true]));
        Assert.Equal(0.5, DetectionMetrics.RocAuc([0.3, 0.3, 0.3, 0.3], [false, true, false, true]));
        Assert.Equal(0.75, DetectionMetrics.RocAuc([0.1, 0.4, 0.35, 0.8], [false, false, true, true]));
        Assert.Throws<ArgumentException>(() => DetectionMetrics.RocAuc([0.1, 0.2], [true, true]));
    }

    [Fact]
    public void Threshold_for_false_reject_rate_rejects_at_most_that_fraction_of_good_parts()
    {
        var ok = Enumerable.Range(0, 100).Select(i => (double)i).ToArray();
        var t = DetectionMetrics.ThresholdForFalseRejectRate(ok, 0.02);
        Assert.Equal(97.0, t);
        Assert.Equal(0.02, DetectionMetrics.FractionAbove(ok, t), 12);

        // With ties at the cut, strict ">" keeps the rate at or below the target.
        var tied = Enumerable.Repeat(0.5, 10).Concat(Enumerable.Repeat(0.1, 90)).ToArray();
        var t2 = DetectionMetrics.ThresholdForFalseRejectRate(tied, 0.05);
        Assert.True(DetectionMetrics.FractionAbove(tied, t2) <= 0.05);
    }

    [Fact]
    public void F1_and_confusion_on_a_hand_counted_case()
    {
        double[] scores = [0.9, 0.8, 0.3, 0.7, 0.1, 0.2];
        bool[] positive = [true, true, true, false, false, false];

        // At 0.5: TP 2, FP 1, FN 1 -> F1 = 4 / (4 + 1 + 1).
        Assert.Equal(4.0 / 6.0, DetectionMetrics.F1(scores, positive, 0.5), 12);
        var m = DetectionMetrics.Confusion([0, 1, 1, 2], [0, 1, 2, 2], 3);
        Assert.Equal(1, m[1, 2]);
        Assert.Equal(1, m[2, 2]);

        // Per class F1: c0 1, c1 2/3, c2 2/3.
        Assert.Equal((1 + (2.0 / 3) + (2.0 / 3)) / 3, DetectionMetrics.MacroF1(m), 12);
    }

    [Fact]
    public void Pointing_game_measures_from_the_peak_cells_block_centre()
    {
        var heat = new float[16 * 16];
        heat[(3 * 16) + 5] = 1;       // cell row 3, column 5 covers pixels x 20..23, y 12..15: centre x 21.5, y 13.5
        var mask = new byte[64 * 64];
        mask[(13 * 64) + 24] = 1;     // 2.5 px right, 0.5 px up: distance 2.55
        Assert.True(DetectionMetrics.PointingHit(heat, 16, mask, 64, 4));
        Assert.False(DetectionMetrics.PointingHit(heat, 16, mask, 64, 2.5));
        mask[(13 * 64) + 24] = 0;
        mask[(17 * 64) + 24] = 1;     // 2.5 right, 3.5 down: distance sqrt(18.5) = 4.30 px
        Assert.False(DetectionMetrics.PointingHit(heat, 16, mask, 64, 4.25));
        Assert.True(DetectionMetrics.PointingHit(heat, 16, mask, 64, 4.35));
        mask[(17 * 64) + 24] = 0;
        mask[(10 * 64) + 18] = 1;     // 3.5 left, 3.5 up: distance 4.95, the same in the mirrored direction
        Assert.False(DetectionMetrics.PointingHit(heat, 16, mask, 64, 4.9));
        Assert.True(DetectionMetrics.PointingHit(heat, 16, mask, 64, 5));
    }

    [Theory]
    [InlineData(0, 4, 1.5)]
    [InlineData(15, 4, 61.5)]
    [InlineData(3, 2, 6.5)]
    [InlineData(7, 1, 7)]
    public void Cell_centre_is_the_middle_of_its_pixel_block(int cell, int stride, double expected) =>
        Assert.Equal(expected, DetectionMetrics.CellCentre(cell, stride));
}

namespace EdgeAI.DefectData;

/// <summary>Metrics of a defect detector: ROC-AUC, operating thresholds, recall, F1, confusion matrix.</summary>
public static class DetectionMetrics
{
    /// <summary>
    /// ROC-AUC by ranks (Mann-Whitney U): the probability that a random positive scores above a random
    /// negative, ties counting one half. O(n log n); ties get their average rank.
    /// </summary>
    /// <exception cref="ArgumentException">Lengths differ, or a class is empty.</exception>
    public static double RocAuc(ReadOnlySpan<double> scores, ReadOnlySpan<bool> positive)
    {
        if (scores.Length != positive.Length)
        {
            throw new ArgumentException($"{scores.Length} scores but {positive.Length} labels.", nameof(positive));
        }

        var order = new int[scores.Length];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        var s = scores.ToArray();
        Array.Sort(order, (a, b) => s[a].CompareTo(s[b]));
        double positiveRankSum = 0;
        long nPos = 0;
        var i0 = 0;
        while (i0 < order.Length)
        {
            var i1 = i0;
            while (i1 + 1 < order.Length && s[order[i1 + 1]] == s[order[i0]])
            {
                i1++;
            }

            // Ranks are 1-based; a run of ties shares the mean of its ranks.
            var rank = ((i0 + 1) + (i1 + 1)) / 2.0;
            for (var k = i0; k <= i1; k++)
            {
                if (positive[order[k]])
                {
                    positiveRankSum += rank;
                    nPos++;
                }
            }

            i0 = i1 + 1;
        }

        long nNeg = scores.Length - nPos;
        if (nPos == 0 || nNeg == 0)
        {
            throw new ArgumentException("ROC-AUC needs at least one positive and one negative.", nameof(positive));
        }

        var u = positiveRankSum - (nPos * (nPos + 1) / 2.0);
        return u / ((double)nPos * nNeg);
    }

    /// <summary>
    /// The lowest threshold at which at most <paramref name="falseRejectRate"/> of good parts score strictly
    /// above it (a part is rejected when its score is &gt; the threshold).
    /// </summary>
    public static double ThresholdForFalseRejectRate(ReadOnlySpan<double> okScores, double falseRejectRate)
    {
        if (okScores.IsEmpty)
        {
            throw new ArgumentException("Need at least one good-part score.", nameof(okScores));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(falseRejectRate);
        var sorted = okScores.ToArray();
        Array.Sort(sorted);
        Array.Reverse(sorted);
        var allowed = (int)Math.Floor(falseRejectRate * sorted.Length);
        return allowed >= sorted.Length ? double.NegativeInfinity : sorted[allowed];
    }

    /// <summary>Fraction of <paramref name="scores"/> strictly above <paramref name="threshold"/>.</summary>
    public static double FractionAbove(ReadOnlySpan<double> scores, double threshold)
    {
        if (scores.IsEmpty)
        {
            return double.NaN;
        }

        var n = 0;
        foreach (var s in scores)
        {
            if (s > threshold)
            {
                n++;
            }
        }

        return (double)n / scores.Length;
    }

    /// <summary>Binary F1 of "defect" (positive) at a threshold.</summary>
    public static double F1(ReadOnlySpan<double> scores, ReadOnlySpan<bool> positive, double threshold)
    {
        long tp = 0, fp = 0, fn = 0;
        for (var i = 0; i < scores.Length; i++)
        {
            var predicted = scores[i] > threshold;
            if (predicted && positive[i])
            {
                tp++;
            }
            else if (predicted)
            {
                fp++;
            }
            else if (positive[i])
            {
                fn++;
            }
        }

        return tp == 0 ? 0 : 2.0 * tp / ((2.0 * tp) + fp + fn);
    }

    /// <summary>Confusion matrix [true, predicted] from class indices.</summary>
    public static long[,] Confusion(ReadOnlySpan<int> truth, ReadOnlySpan<int> predicted, int classes)
    {
        var m = new long[classes, classes];
        for (var i = 0; i < truth.Length; i++)
        {
            m[truth[i], predicted[i]]++;
        }

        return m;
    }

    /// <summary>Macro-averaged F1 over the classes of a confusion matrix (classes without support or predictions count 0).</summary>
    public static double MacroF1(long[,] confusion)
    {
        ArgumentNullException.ThrowIfNull(confusion);
        var k = confusion.GetLength(0);
        double sum = 0;
        for (var c = 0; c < k; c++)
        {
            long tp = confusion[c, c], fp = 0, fn = 0;
            for (var o = 0; o < k; o++)
            {
                if (o != c)
                {
                    fp += confusion[o, c];
                    fn += confusion[c, o];
                }
            }

            sum += tp == 0 ? 0 : 2.0 * tp / ((2.0 * tp) + fp + fn);
        }

        return sum / k;
    }

    /// <summary>
    /// Pixel coordinate of the centre of heatmap cell <paramref name="cell"/> when each cell covers a
    /// <paramref name="stride"/>-pixel block: <c>stride * cell + (stride - 1) / 2</c> (cell 0 of a 4-px grid is
    /// centred between pixels 1 and 2). The defect net's symmetric 4x4/stride-2/pad-1 downsampling puts its
    /// receptive-field centres exactly there.
    /// </summary>
    public static double CellCentre(int cell, int stride) => (stride * cell) + ((stride - 1) / 2.0);

    /// <summary>Index of the largest value (the first one on ties).</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }

    /// <summary>
    /// Pointing game (Zhang et al., 2016): does the peak of a heatmap fall on the defect? The peak cell (row i,
    /// column j) of the <paramref name="mapSize"/>² map is taken at its centre, <see cref="CellCentre"/> with
    /// <c>stride = imageSize / mapSize</c>. It is a hit when a mask pixel (its centre) lies within
    /// <paramref name="tolerancePixels"/> of that point (the original uses 15 px at 224 px, about 4 px at 64 px).
    /// </summary>
    public static bool PointingHit(ReadOnlySpan<float> heatmap, int mapSize, ReadOnlySpan<byte> mask, int imageSize, double tolerancePixels)
    {
        var best = ArgMax(heatmap[..(mapSize * mapSize)]);
        var stride = imageSize / mapSize;
        var py = CellCentre(best / mapSize, stride);
        var px = CellCentre(best % mapSize, stride);
        var r = (int)Math.Ceiling(tolerancePixels) + 1;
        for (var y = Math.Max(0, (int)py - r); y <= Math.Min(imageSize - 1, (int)py + r); y++)
        {
            for (var x = Math.Max(0, (int)px - r); x <= Math.Min(imageSize - 1, (int)px + r); x++)
            {
                var d2 = ((x - px) * (x - px)) + ((y - py) * (y - py));
                if (d2 <= tolerancePixels * tolerancePixels && mask[(y * imageSize) + x] != 0)
                {
                    return true;
                }
            }
        }

        return false;
    }
}

namespace EdgeAI.Quantization.Calibration;

/// <summary>
/// TensorRT-style entropy calibration (Migacz, "8-bit Inference with TensorRT", GTC 2017; the same search as
/// MXNet's and ONNX Runtime's entropy calibrators): over a histogram of |x|, try each threshold bin i from
/// <see cref="QuantizedBins"/> to the last, and keep the one whose int8 version loses the least information.
/// </summary>
/// <remarks>
/// For candidate i: the reference distribution P is bins [0, i) with the count of every bin from i upwards (the
/// values that would be clipped) added to bin i − 1; Q merges bins [0, i) (without the outliers) into 128 levels of
/// ⌊i/128⌋ bins each (the last level also takes the remainder) and spreads each level's count evenly over the bins
/// of that level where P is non-zero (zero where P is zero). Both are smoothed (each zero bin gets ε = 1e-4, the
/// non-zero bins give up the same total) and the KL divergence Σ p·ln(p/q) of the normalized distributions is the
/// candidate's score; a candidate whose smoothing would make a bin non-positive scores +∞. The first minimum wins,
/// and the threshold is the upper edge of bin i − 1.
/// </remarks>
internal static class EntropyThreshold
{
    /// <summary>Levels of the quantized magnitude: int8 has 128 on each side of zero.</summary>
    public const int QuantizedBins = 128;

    private const double Epsilon = 1e-4;

    /// <summary>Returns i, the number of histogram bins kept below the threshold (from 128 to counts.Length).</summary>
    /// <param name="counts">Histogram of |x| from 0, at least <see cref="QuantizedBins"/> bins.</param>
    /// <param name="divergences">When not empty (length counts.Length − 127), receives the score of each candidate.</param>
    public static int Search(ReadOnlySpan<long> counts, Span<double> divergences = default)
    {
        var n = counts.Length;
        if (n < QuantizedBins)
        {
            throw new ArgumentException($"An entropy search needs at least {QuantizedBins} histogram bins; got {n}.", nameof(counts));
        }

        var p = new double[n];
        var q = new double[n];
        var best = n;
        var bestScore = double.PositiveInfinity;
        long outliers = 0;
        for (var j = QuantizedBins; j < n; j++)
        {
            outliers += counts[j];
        }

        for (var i = QuantizedBins; i <= n; i++)
        {
            if (i > QuantizedBins)
            {
                outliers -= counts[i - 1];
            }

            var score = Divergence(counts[..i], outliers, p.AsSpan(0, i), q.AsSpan(0, i));
            if (!divergences.IsEmpty)
            {
                divergences[i - QuantizedBins] = score;
            }

            if (score < bestScore)
            {
                bestScore = score;
                best = i;
            }
        }

        return best;
    }

    private static double Divergence(ReadOnlySpan<long> kept, long outliers, Span<double> p, Span<double> q)
    {
        var i = kept.Length;
        for (var j = 0; j < i; j++)
        {
            p[j] = kept[j];
        }

        p[i - 1] += outliers;
        var merged = i / QuantizedBins;
        for (var level = 0; level < QuantizedBins; level++)
        {
            var start = level * merged;
            var stop = level == QuantizedBins - 1 ? i : start + merged;
            double sum = 0;
            var nonZero = 0;
            for (var j = start; j < stop; j++)
            {
                sum += kept[j];
                nonZero += p[j] != 0 ? 1 : 0;
            }

            var share = nonZero == 0 ? 0 : sum / nonZero;
            for (var j = start; j < stop; j++)
            {
                q[j] = p[j] != 0 ? share : 0;
            }
        }

        if (!Smooth(p) || !Smooth(q))
        {
            return double.PositiveInfinity;
        }

        double sumP = 0, sumQ = 0;
        for (var j = 0; j < i; j++)
        {
            sumP += p[j];
            sumQ += q[j];
        }

        double kl = 0;
        for (var j = 0; j < i; j++)
        {
            var pj = p[j] / sumP;
            kl += pj * Math.Log(pj / (q[j] / sumQ));
        }

        return kl;
    }

    private static bool Smooth(Span<double> x)
    {
        var zeros = 0;
        foreach (var v in x)
        {
            zeros += v == 0 ? 1 : 0;
        }

        var nonZeros = x.Length - zeros;
        if (nonZeros == 0)
        {
            return false;
        }

        var take = Epsilon * zeros / nonZeros;
        for (var j = 0; j < x.Length; j++)
        {
            x[j] += x[j] == 0 ? Epsilon : -take;
            if (x[j] <= 0)
            {
                return false;
            }
        }

        return true;
    }
}

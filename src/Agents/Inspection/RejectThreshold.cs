namespace EdgeAI.Agents.Inspection;

/// <summary>
/// A line's own reject threshold, taught from pictures of its good parts: the lowest defect-score threshold that rejects at
/// most a given share of them. A part is rejected when its score is above the threshold, as in <see cref="DefectInspector"/>.
/// </summary>
internal static class RejectThreshold
{
    /// <summary>
    /// Rejects among the teaching pictures a threshold should be set by: with fewer than this / rate pictures (250 at 2%) it
    /// rests on a handful of scores, and <c>edgeai calibrate-threshold</c> says so.
    /// </summary>
    public const int StableRejects = 5;

    /// <summary>
    /// The smallest of the <paramref name="goodScores"/> that, used as the threshold, rejects at most
    /// floor(<paramref name="falseRejectRate"/> x n) of them (the highest scores; tied scores are kept together).
    /// </summary>
    /// <exception cref="ArgumentException">No scores, or a score that is not a number in 0..1.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="falseRejectRate"/> is not in [0, 0.5].</exception>
    public static double AtFalseRejectRate(ReadOnlySpan<double> goodScores, double falseRejectRate)
    {
        if (!(falseRejectRate is >= 0 and <= 0.5))
        {
            throw new ArgumentOutOfRangeException(nameof(falseRejectRate), falseRejectRate, "The false-reject rate must be between 0 and 0.5 (e.g. 0.02 for 2%).");
        }

        if (goodScores.IsEmpty)
        {
            throw new ArgumentException("No scores of good parts to teach the threshold from.", nameof(goodScores));
        }

        var sorted = goodScores.ToArray();
        foreach (var s in sorted)
        {
            if (!(s is >= 0 and <= 1))
            {
                throw new ArgumentException($"A defect score of {s} is outside 0..1.", nameof(goodScores));
            }
        }

        Array.Sort(sorted);
        var allowed = Allowed(sorted.Length, falseRejectRate);
        // Candidate: the (allowed + 1)-th highest score. Scores tied with it are not above it, so at most 'allowed' are rejected;
        // any lower threshold would also reject the candidate and its ties.
        return sorted[sorted.Length - 1 - allowed];
    }

    /// <summary>How many of <paramref name="count"/> good pictures a threshold taught at <paramref name="falseRejectRate"/> may reject: floor(rate x n).</summary>
    public static int Allowed(int count, double falseRejectRate) => (int)Math.Floor((falseRejectRate * count) + 1e-9);

    /// <summary>How many of <paramref name="scores"/> a threshold rejects (score above it).</summary>
    public static int Rejected(ReadOnlySpan<double> scores, double threshold)
    {
        var n = 0;
        foreach (var s in scores)
        {
            n += s > threshold ? 1 : 0;
        }

        return n;
    }
}

namespace EdgeAI.Quantization.Calibration;

/// <summary>
/// A fixed number of equal-width bins over a range that grows to cover every value added, plus the exact
/// minimum and maximum. Memory stays at <c>bins</c> counters however many values are added. In magnitude mode
/// the bins count |x| over [0, top) (what entropy calibration searches); min and max stay signed.
/// </summary>
/// <remarks>
/// When a value falls outside the range, the range at least doubles in width and old bins are merged into the
/// new bin holding their centre, so each old count moves by at most one new bin width; quantiles are therefore
/// accurate to about two bin widths of the final range.
/// </remarks>
internal sealed class RangeHistogram
{
    private readonly long[] _counts;
    private double _lo;
    private double _hi;

    public RangeHistogram(int bins, bool magnitudes = false)
    {
        _counts = new long[bins];
        Magnitudes = magnitudes;
    }

    /// <summary>Whether the bins count |x| from 0 rather than x.</summary>
    public bool Magnitudes { get; }

    /// <summary>The bin counts, lowest first.</summary>
    public ReadOnlySpan<long> Counts => _counts;

    /// <summary>The lower edge of bin 0 (0 in magnitude mode).</summary>
    public double Low => _lo;

    public long Count { get; private set; }

    public float Min { get; private set; } = float.PositiveInfinity;

    public float Max { get; private set; } = float.NegativeInfinity;

    public double BinWidth => (_hi - _lo) / _counts.Length;

    /// <summary>Adds values; returns false (adding nothing) if one is NaN or infinite.</summary>
    public bool Add(ReadOnlySpan<float> values)
    {
        if (values.IsEmpty)
        {
            return true;
        }

        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        foreach (var v in values)
        {
            if (!float.IsFinite(v))
            {
                return false;
            }

            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }

        // In magnitude mode the binned range is [0, max |x|].
        double binMin = Magnitudes ? 0 : min;
        double binMax = Magnitudes ? Math.Max(-(double)min, max) : max;
        if (Count == 0)
        {
            // Start with a range a little wider than the first batch so a constant tensor still has width.
            var pad = Math.Max((binMax - binMin) * 0.01, Math.Max(Math.Abs(binMax), 1.0) * 1e-6);
            _lo = Magnitudes ? 0 : binMin - pad;
            _hi = binMax + pad;
        }
        else if (binMin < _lo || binMax >= _hi)
        {
            Grow(Math.Min(binMin, _lo), Math.Max(binMax, _hi));
        }

        var n = _counts.Length;
        var factor = n / (_hi - _lo);
        foreach (var v in values)
        {
            var x = Magnitudes ? Math.Abs(v) : v;
            _counts[Math.Clamp((int)((x - _lo) * factor), 0, n - 1)]++;
        }

        Min = Math.Min(Min, min);
        Max = Math.Max(Max, max);
        Count += values.Length;
        return true;
    }

    /// <summary>The value below which <paramref name="percent"/> of the values lie (bin edge, clamped to the exact min/max).</summary>
    public float Quantile(double percent, bool upper)
    {
        if (Count == 0)
        {
            return 0f;
        }

        var target = Count * percent / 100.0;
        long cumulative = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            cumulative += _counts[i];
            if (cumulative >= target)
            {
                // The upper bound takes the bin's top edge (keeps the whole bin), the lower bound its bottom edge.
                var edge = _lo + ((upper ? i + 1 : i) * BinWidth);
                return (float)Math.Clamp(edge, Min, Max);
            }
        }

        return Max;
    }

    private void Grow(double lo, double hi)
    {
        var oldLo = _lo;
        var oldWidth = BinWidth;
        var span = Math.Max(hi - lo, 2 * (_hi - _lo));

        // Keep the side that did not need to move; grow towards the side that did.
        var newLo = lo < _lo ? Math.Min(lo, hi - span) : lo;
        var newHi = newLo + span;
        if (newHi < hi)
        {
            newHi = hi;
            newLo = hi - span;
        }

        var old = (long[])_counts.Clone();
        Array.Clear(_counts);
        _lo = newLo;
        _hi = newHi;
        var n = _counts.Length;
        var factor = n / (_hi - _lo);
        for (var i = 0; i < old.Length; i++)
        {
            if (old[i] != 0)
            {
                var centre = oldLo + ((i + 0.5) * oldWidth);
                _counts[Math.Clamp((int)((centre - _lo) * factor), 0, n - 1)] += old[i];
            }
        }
    }
}

namespace EdgeAI.Quantization.Evaluation;

/// <summary>Accumulates <see cref="OutputAgreement"/> statistics for one output, sample by sample, in double precision.</summary>
internal sealed class OutputAccumulator(string name)
{
    private double _maxAbs;
    private double _minCosine = double.PositiveInfinity;
    private double _cosineSum;
    private int _samples;
    private double _signal;
    private double _noise;
    private long _rows;
    private long _agreeingRows;

    public void Add(ReadOnlySpan<float> reference, ReadOnlySpan<float> candidate, IReadOnlyList<long> shape)
    {
        if (reference.Length != candidate.Length)
        {
            throw new ArgumentException($"Output '{name}' has {reference.Length} elements in the reference and {candidate.Length} in the candidate.", nameof(candidate));
        }

        double dot = 0, rr = 0, cc = 0;
        for (var i = 0; i < reference.Length; i++)
        {
            double r = reference[i], c = candidate[i], d = r - c;
            _maxAbs = Math.Max(_maxAbs, Math.Abs(d));
            dot += r * c;
            rr += r * r;
            cc += c * c;
            _noise += d * d;
        }

        _signal += rr;
        var cosine = rr == 0 && cc == 0 ? 1.0 : rr == 0 || cc == 0 ? 0.0 : dot / Math.Sqrt(rr * cc);
        _minCosine = Math.Min(_minCosine, cosine);
        _cosineSum += cosine;
        _samples++;

        var classes = shape.Count == 0 ? 1 : (int)shape[^1];
        if (classes >= 2 && reference.Length % classes == 0)
        {
            for (var row = 0; row < reference.Length / classes; row++)
            {
                _rows++;
                if (ArgMax(reference.Slice(row * classes, classes)) == ArgMax(candidate.Slice(row * classes, classes)))
                {
                    _agreeingRows++;
                }
            }
        }
    }

    public OutputAgreement ToAgreement() => new(
        name,
        _maxAbs,
        _samples == 0 ? double.NaN : _minCosine,
        _samples == 0 ? double.NaN : _cosineSum / _samples,
        _noise == 0 ? double.PositiveInfinity : 10 * Math.Log10(_signal / _noise),
        _rows == 0 ? null : (double)_agreeingRows / _rows);

    private static int ArgMax(ReadOnlySpan<float> values)
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
}

namespace EdgeAI.Quantization.Evaluation;

/// <summary>The result of <see cref="ModelComparer.Compare"/>.</summary>
public sealed class ModelComparison
{
    internal ModelComparison(int sampleCount, IReadOnlyList<OutputAgreement> outputs, long referenceBytes, long candidateBytes, double referenceMicroseconds, double candidateMicroseconds)
    {
        SampleCount = sampleCount;
        Outputs = outputs;
        ReferenceBytes = referenceBytes;
        CandidateBytes = candidateBytes;
        ReferenceMicroseconds = referenceMicroseconds;
        CandidateMicroseconds = candidateMicroseconds;
    }

    /// <summary>Samples compared.</summary>
    public int SampleCount { get; }

    /// <summary>Agreement per float output, in the reference model's output order.</summary>
    public IReadOnlyList<OutputAgreement> Outputs { get; }

    /// <summary>Size of the reference model in bytes.</summary>
    public long ReferenceBytes { get; }

    /// <summary>Size of the candidate model in bytes.</summary>
    public long CandidateBytes { get; }

    /// <summary>Candidate size over reference size.</summary>
    public double SizeRatio => (double)CandidateBytes / ReferenceBytes;

    /// <summary>Median latency of one reference inference in microseconds (NaN when timing was off).</summary>
    public double ReferenceMicroseconds { get; }

    /// <summary>Median latency of one candidate inference in microseconds (NaN when timing was off).</summary>
    public double CandidateMicroseconds { get; }

    /// <summary>Candidate latency over reference latency (below 1: the candidate is faster).</summary>
    public double LatencyRatio => CandidateMicroseconds / ReferenceMicroseconds;

    /// <summary>The lowest per-sample cosine similarity over all outputs.</summary>
    public double MinCosine => Outputs.Min(o => o.MinCosine);
}

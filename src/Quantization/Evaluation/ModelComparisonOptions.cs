namespace EdgeAI.Quantization.Evaluation;

/// <summary>Settings of <see cref="ModelComparer"/>.</summary>
public sealed class ModelComparisonOptions
{
    /// <summary>ONNX Runtime threads per operator for both models (default 1, which makes timings steadier on a shared machine).</summary>
    public int IntraOpThreads { get; set; } = 1;

    /// <summary>Timed runs of each model per sample, interleaved (default 10; 0 skips timing).</summary>
    public int TimingRepeats { get; set; } = 10;

    /// <summary>
    /// ONNX Runtime graph transformers turned off for the candidate only (default <c>QDQPropagationTransformer</c>,
    /// which keeps QDQ int8 graphs on fused int8 kernels; see the quantization docs).
    /// </summary>
    public IList<string> CandidateDisabledOptimizers { get; } = ["QDQPropagationTransformer"];

    /// <summary>
    /// ONNX Runtime graph transformers turned off for the reference only (default none; add <c>QDQPropagationTransformer</c>
    /// when the reference is itself a QDQ int8 model, e.g. to time one int8 variant against another).
    /// </summary>
    public IList<string> ReferenceDisabledOptimizers { get; } = [];

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentException">A setting is out of range; the message names it.</exception>
    public void Validate()
    {
        if (IntraOpThreads < 0)
        {
            throw new ArgumentException($"{nameof(ModelComparisonOptions)}.{nameof(IntraOpThreads)} is {IntraOpThreads}; expected 0 (automatic) or a positive thread count.", nameof(IntraOpThreads));
        }

        if (TimingRepeats is < 0 or > 100_000)
        {
            throw new ArgumentException($"{nameof(ModelComparisonOptions)}.{nameof(TimingRepeats)} is {TimingRepeats}; expected 0 to 100000.", nameof(TimingRepeats));
        }
    }
}

namespace EdgeAI.Quantization.Int8;

/// <summary>Settings of <see cref="LatencyGuidedQuantizer"/>.</summary>
public sealed class LatencyGuidedOptions
{
    /// <summary>The static quantizer's settings; its exclusions are kept and more are added.</summary>
    public StaticQuantizationOptions Quantization { get; set; } = new();

    /// <summary>
    /// How much faster a candidate must be to be kept, as a fraction of the current model's latency (default 0.03:
    /// its median latency must be below 0.97 times the current one's).
    /// </summary>
    public double MinGain { get; set; } = 0.03;

    /// <summary>Consecutive side-by-side measurements that must all show <see cref="MinGain"/> before a layer is reverted (default 2).</summary>
    public int Confirmations { get; set; } = 2;

    /// <summary>Timed runs of each model per sample in one measurement, interleaved (default 10).</summary>
    public int TimingRepeats { get; set; } = 10;

    /// <summary>How many of the samples (the first ones) are timed in each measurement (default 8).</summary>
    public int TimingSamples { get; set; } = 8;

    /// <summary>
    /// How many of the samples (the first ones) the accuracy guard runs, once per candidate that measured faster (default 64;
    /// on the PaddleOCR classifier 24 lines take ~0.1 s per check on this machine, so the guard's cost is bounded by this
    /// times the number of candidates).
    /// </summary>
    public int AccuracySamples { get; set; } = 64;

    /// <summary>
    /// How much lower than the all-int8 model's mean cosine against fp32 (per output, on the accuracy samples) a candidate's
    /// may be (default 0.002). Its top-1 agreement with fp32 may not be lower at all.
    /// </summary>
    public double MeanCosineTolerance { get; set; } = 0.002;

    /// <summary>Whether groups (all depthwise convolutions, all MaxPool, each single-entry single-exit block) are tried before single layers (default true).</summary>
    public bool TryGroups { get; set; } = true;

    /// <summary>ONNX Runtime threads per operator while timing (default 1, which makes timings steadier on a shared machine).</summary>
    public int IntraOpThreads { get; set; } = 1;

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentException">A setting is out of range; the message names it.</exception>
    public void Validate()
    {
        if (!(MinGain is >= 0 and < 1))
        {
            throw new ArgumentException($"{nameof(LatencyGuidedOptions)}.{nameof(MinGain)} is {MinGain}; expected a fraction in [0, 1), e.g. 0.03.", nameof(MinGain));
        }

        if (Confirmations is < 1 or > 20)
        {
            throw new ArgumentException($"{nameof(LatencyGuidedOptions)}.{nameof(Confirmations)} is {Confirmations}; expected 1 to 20.", nameof(Confirmations));
        }

        if (TimingRepeats is < 1 or > 100_000)
        {
            throw new ArgumentException($"{nameof(LatencyGuidedOptions)}.{nameof(TimingRepeats)} is {TimingRepeats}; expected 1 to 100000.", nameof(TimingRepeats));
        }

        if (TimingSamples < 1)
        {
            throw new ArgumentException($"{nameof(LatencyGuidedOptions)}.{nameof(TimingSamples)} is {TimingSamples}; expected at least 1.", nameof(TimingSamples));
        }

        if (AccuracySamples < 1)
        {
            throw new ArgumentException($"{nameof(LatencyGuidedOptions)}.{nameof(AccuracySamples)} is {AccuracySamples}; expected at least 1.", nameof(AccuracySamples));
        }

        if (!(MeanCosineTolerance is >= 0 and <= 1))
        {
            throw new ArgumentException($"{nameof(LatencyGuidedOptions)}.{nameof(MeanCosineTolerance)} is {MeanCosineTolerance}; expected a cosine difference in [0, 1], e.g. 0.002.", nameof(MeanCosineTolerance));
        }

        if (IntraOpThreads < 0)
        {
            throw new ArgumentException($"{nameof(LatencyGuidedOptions)}.{nameof(IntraOpThreads)} is {IntraOpThreads}; expected 0 (automatic) or a positive thread count.", nameof(IntraOpThreads));
        }

        ArgumentNullException.ThrowIfNull(Quantization, nameof(Quantization));
        Quantization.Validate();
    }
}

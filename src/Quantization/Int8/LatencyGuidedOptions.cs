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

        if (IntraOpThreads < 0)
        {
            throw new ArgumentException($"{nameof(LatencyGuidedOptions)}.{nameof(IntraOpThreads)} is {IntraOpThreads}; expected 0 (automatic) or a positive thread count.", nameof(IntraOpThreads));
        }

        ArgumentNullException.ThrowIfNull(Quantization, nameof(Quantization));
        Quantization.Validate();
    }
}

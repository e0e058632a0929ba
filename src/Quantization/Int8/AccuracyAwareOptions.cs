namespace EdgeAI.Quantization.Int8;

/// <summary>Settings of <see cref="AccuracyAwareQuantizer"/>.</summary>
public sealed class AccuracyAwareOptions
{
    /// <summary>
    /// The budget: the worst per-sample cosine similarity between the int8 and fp32 graph outputs (as ONNX Runtime
    /// runs them, fused int8 kernels included) must reach this (default 0.99).
    /// </summary>
    public double MinCosine { get; set; } = 0.99;

    /// <summary>The static quantizer's settings; its exclusions are kept and more are added.</summary>
    public StaticQuantizationOptions Quantization { get; set; } = new();

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentException">A setting is out of range; the message names it.</exception>
    public void Validate()
    {
        if (!(MinCosine is > -1 and <= 1))
        {
            throw new ArgumentException($"{nameof(AccuracyAwareOptions)}.{nameof(MinCosine)} is {MinCosine}; expected a cosine in (-1, 1], e.g. 0.99.", nameof(MinCosine));
        }

        ArgumentNullException.ThrowIfNull(Quantization, nameof(Quantization));
        Quantization.Validate();
    }
}

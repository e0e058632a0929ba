namespace EdgeAI.Quantization.Calibration;

/// <summary>Calibrated ranges by tensor name, from <see cref="Calibrator.Calibrate"/>.</summary>
public sealed class CalibrationResult
{
    /// <summary>Creates a result (e.g. from ranges computed elsewhere).</summary>
    /// <param name="ranges">Range per tensor name.</param>
    /// <param name="sampleCount">How many samples produced them.</param>
    public CalibrationResult(IReadOnlyDictionary<string, TensorRange> ranges, int sampleCount)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        ArgumentOutOfRangeException.ThrowIfNegative(sampleCount);
        Ranges = ranges;
        SampleCount = sampleCount;
    }

    /// <summary>The range of every calibrated float tensor (graph inputs and node outputs).</summary>
    public IReadOnlyDictionary<string, TensorRange> Ranges { get; }

    /// <summary>The number of samples run.</summary>
    public int SampleCount { get; }
}

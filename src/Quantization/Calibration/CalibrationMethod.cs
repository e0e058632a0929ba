namespace EdgeAI.Quantization.Calibration;

/// <summary>How a tensor's range is chosen from the values seen during calibration.</summary>
public enum CalibrationMethod
{
    /// <summary>The smallest and largest value seen: no clipping, but one outlier stretches the range.</summary>
    MinMax,

    /// <summary>
    /// The <see cref="CalibrationOptions.Percentile"/> and 100 − percentile quantiles of the values seen, from a
    /// fixed-size histogram: clips rare outliers to spend the 256 levels on the bulk of the values.
    /// </summary>
    Percentile,

    /// <summary>
    /// The threshold T minimizing the KL divergence between the histogram of |x| and its 128-level quantized
    /// version (TensorRT-style search, see docs/quantization.md); the range is [max(min, −T), min(max, T)].
    /// Clips long tails where that loses less information than coarser steps for the bulk of the values.
    /// </summary>
    Entropy,
}

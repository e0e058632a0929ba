namespace EdgeAI.Quantization.Calibration;

/// <summary>Settings of <see cref="Calibrator"/>.</summary>
public sealed class CalibrationOptions
{
    /// <summary>How ranges are chosen (default <see cref="CalibrationMethod.MinMax"/>).</summary>
    public CalibrationMethod Method { get; set; } = CalibrationMethod.MinMax;

    /// <summary>Upper quantile in percent for <see cref="CalibrationMethod.Percentile"/> (default 99.99); the lower one is 100 minus it.</summary>
    public double Percentile { get; set; } = 99.99;

    /// <summary>Bins per tensor histogram (default 2048; at least 128 for entropy): memory is this many counters per tensor, whatever the number of samples.</summary>
    public int HistogramBins { get; set; } = 2048;

    /// <summary>ONNX Runtime intra-op threads for the calibration runs; 0 (default) lets ONNX Runtime choose.</summary>
    public int IntraOpThreads { get; set; }

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentException">A setting is out of range; the message names it.</exception>
    public void Validate()
    {
        if (!Enum.IsDefined(Method))
        {
            throw new ArgumentException($"{nameof(CalibrationOptions)}.{nameof(Method)} is {(int)Method}; expected MinMax, Percentile or Entropy.", nameof(Method));
        }

        if (!(Percentile is > 50 and <= 100))
        {
            throw new ArgumentException($"{nameof(CalibrationOptions)}.{nameof(Percentile)} is {Percentile}; expected more than 50 and at most 100 (e.g. 99.99).", nameof(Percentile));
        }

        if (HistogramBins is < 16 or > 1 << 20)
        {
            throw new ArgumentException($"{nameof(CalibrationOptions)}.{nameof(HistogramBins)} is {HistogramBins}; expected 16 to 1048576.", nameof(HistogramBins));
        }

        if (Method == CalibrationMethod.Entropy && HistogramBins < EntropyThreshold.QuantizedBins)
        {
            throw new ArgumentException($"{nameof(CalibrationOptions)}.{nameof(HistogramBins)} is {HistogramBins}; entropy calibration needs at least {EntropyThreshold.QuantizedBins} (default 2048).", nameof(HistogramBins));
        }

        if (IntraOpThreads < 0)
        {
            throw new ArgumentException($"{nameof(CalibrationOptions)}.{nameof(IntraOpThreads)} is {IntraOpThreads}; expected 0 (automatic) or a positive thread count.", nameof(IntraOpThreads));
        }
    }
}

using EdgeAI.Quantization.Onnx;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeAI.Quantization.Calibration;

/// <summary>
/// Finds the value range of a model's float tensors over a calibration set: every node output becomes an extra
/// graph output of a copy of the model, the copy runs in ONNX Runtime with graph optimizations off (so no
/// tensor is fused away), and each tensor's values feed a min/max tracker and a fixed-size histogram.
/// </summary>
public static class Calibrator
{
    /// <summary>Runs the calibration set through the model and returns a range for every float tensor seen.</summary>
    /// <param name="model">The fp32 model; it is not changed.</param>
    /// <param name="samples">One dictionary per sample: graph input name to array (shapes must fit the model's inputs).</param>
    /// <param name="options">Method and histogram size; defaults when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Checked between samples.</param>
    /// <exception cref="ArgumentException">No samples, a sample lacks a graph input, or ONNX Runtime rejects a sample; the message names the sample and input.</exception>
    /// <exception cref="InvalidOperationException">A tensor produced NaN or infinity; the message names it.</exception>
    /// <exception cref="OnnxFormatException">The model is not valid.</exception>
    public static CalibrationResult Calibrate(
        OnnxModel model,
        IEnumerable<IReadOnlyDictionary<string, NpyArray>> samples,
        CalibrationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(samples);
        options ??= new CalibrationOptions();
        options.Validate();
        model.Validate();

        using var runner = new IntermediateRunner(model, options.IntraOpThreads);
        var histograms = new Dictionary<string, RangeHistogram>(StringComparer.Ordinal);
        var sampleCount = 0;
        foreach (var sample in samples)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ArgumentNullException.ThrowIfNull(sample, nameof(samples));
            foreach (var name in runner.InputNames)
            {
                if (sample.TryGetValue(name, out var array) && runner.InputType(name) == TensorElementType.Float)
                {
                    Add(histograms, name, array.ToSingleArray(), options, sampleCount);
                }
            }

            runner.Run(sample, sampleCount, (name, value) =>
            {
                if (value.OnnxType == OnnxValueType.ONNX_TYPE_TENSOR && value.GetTensorTypeAndShape().ElementDataType == TensorElementType.Float)
                {
                    Add(histograms, name, value.GetTensorDataAsSpan<float>(), options, sampleCount);
                }
            });
            sampleCount++;
        }

        if (sampleCount == 0)
        {
            throw new ArgumentException("The calibration set is empty; expected at least one sample.", nameof(samples));
        }

        var ranges = histograms.ToDictionary(h => h.Key, h => RangeOf(h.Value, options), StringComparer.Ordinal);
        return new CalibrationResult(ranges, sampleCount);
    }

    private static TensorRange RangeOf(RangeHistogram histogram, CalibrationOptions options)
    {
        switch (options.Method)
        {
            case CalibrationMethod.Percentile:
                return new TensorRange(histogram.Quantile(100 - options.Percentile, upper: false), histogram.Quantile(options.Percentile, upper: true));
            case CalibrationMethod.Entropy:
                var threshold = (float)(EntropyThreshold.Search(histogram.Counts) * histogram.BinWidth);
                return new TensorRange(Math.Max(histogram.Min, -threshold), Math.Min(histogram.Max, threshold));
            default:
                return new TensorRange(histogram.Min, histogram.Max);
        }
    }

    private static void Add(Dictionary<string, RangeHistogram> histograms, string name, ReadOnlySpan<float> values, CalibrationOptions options, int sample)
    {
        if (!histograms.TryGetValue(name, out var histogram))
        {
            histogram = new RangeHistogram(options.HistogramBins, magnitudes: options.Method == CalibrationMethod.Entropy);
            histograms[name] = histogram;
        }

        if (!histogram.Add(values))
        {
            throw new InvalidOperationException($"Tensor '{name}' holds NaN or infinity in calibration sample {sample}; its range cannot be calibrated. Check the sample's data.");
        }
    }
}

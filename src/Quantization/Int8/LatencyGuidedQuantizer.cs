using EdgeAI.Quantization.Calibration;
using EdgeAI.Quantization.Evaluation;
using EdgeAI.Quantization.Onnx;

namespace EdgeAI.Quantization.Int8;

/// <summary>
/// Static int8 tuned for speed on the machine it runs on. Some ONNX Runtime int8 kernels are slower than their fp32
/// counterparts on some CPUs (depthwise convolutions, a 3-channel full-resolution first convolution, uint8 MaxPool), and
/// which ones depends on the model and the CPU, so this measures: it quantizes everything, then tries each quantized
/// layer in graph order in fp32 and keeps that change only when the whole model, timed side by side with the best
/// model so far in this process, is faster by <see cref="LatencyGuidedOptions.MinGain"/> in every one of
/// <see cref="LatencyGuidedOptions.Confirmations"/> consecutive measurements, and only when the mixed model's worst
/// cosine against fp32 on the samples stays within <see cref="CosineTolerance"/> of the all-int8 model's (keeping a
/// layer fp32 should never cost accuracy; on the OCR classifier some mixes did, down to a worst cosine of 0.69).
/// </summary>
public static class LatencyGuidedQuantizer
{
    private const string QdqPropagation = "QDQPropagationTransformer";

    /// <summary>How much lower than the all-int8 model's worst cosine against fp32 a mixed model's may be.</summary>
    public const double CosineTolerance = 0.005;

    /// <summary>Quantizes a copy of <paramref name="model"/> and keeps the layers fp32 that measured faster that way.</summary>
    /// <param name="model">The fp32 model (opset 13 or later).</param>
    /// <param name="calibration">Calibrated ranges.</param>
    /// <param name="samples">Inputs to time on (a handful is enough; each is timed <see cref="LatencyGuidedOptions.TimingRepeats"/> times per measurement).</param>
    /// <param name="options">Search and quantizer settings; defaults when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Checked between measurements.</param>
    /// <exception cref="ArgumentException">Options invalid, no samples, or the model imports an opset below 13.</exception>
    public static LatencyGuidedResult Quantize(
        OnnxModel model,
        CalibrationResult calibration,
        IReadOnlyList<IReadOnlyDictionary<string, NpyArray>> samples,
        LatencyGuidedOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(calibration);
        ArgumentNullException.ThrowIfNull(samples);
        options ??= new LatencyGuidedOptions();
        options.Validate();
        if (samples.Count == 0)
        {
            throw new ArgumentException("At least one sample is needed to measure latency.", nameof(samples));
        }

        var full = StaticQuantizer.Quantize(model, calibration, options.Quantization);
        var fullBytes = full.Model.ToSelfContainedBytes();
        var fp32Bytes = model.ToSelfContainedBytes();
        var cosineFloor = Fidelity(fp32Bytes, fullBytes, samples, options, cancellationToken) - CosineTolerance;
        var best = full;
        var bestBytes = fullBytes;
        var reverted = new List<string>();
        var layers = new List<LayerLatency>();
        foreach (var node in FallbackCandidates.Of(model, full))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var trial = StaticQuantizer.Quantize(model, calibration, FallbackCandidates.Excluding(options.Quantization, [.. reverted, node.Name]));
            var trialBytes = trial.Model.ToSelfContainedBytes();
            var ratios = new List<double>(options.Confirmations);
            while (ratios.Count < options.Confirmations && (ratios.Count == 0 || ratios[^1] < 1 - options.MinGain))
            {
                ratios.Add(Time(bestBytes, trialBytes, samples, options, referenceIsInt8: true, cancellationToken).LatencyRatio);
            }

            var faster = ratios.All(r => r < 1 - options.MinGain)
                && Fidelity(fp32Bytes, trialBytes, samples, options, cancellationToken) >= cosineFloor;
            layers.Add(new LayerLatency(node.Name, node.Label, faster, ratios));
            if (faster)
            {
                reverted.Add(node.Name);
                (best, bestBytes) = (trial, trialBytes);
            }
        }

        var allInt8 = Time(fp32Bytes, fullBytes, samples, options, referenceIsInt8: false, cancellationToken);
        if (reverted.Count > 0)
        {
            var againstAllInt8 = Time(fullBytes, bestBytes, samples, options, referenceIsInt8: true, cancellationToken).LatencyRatio;
            if (againstAllInt8 < 1)
            {
                var final = Time(fp32Bytes, bestBytes, samples, options, referenceIsInt8: false, cancellationToken);
                return new LatencyGuidedResult(best, layers, allInt8.LatencyRatio, final.LatencyRatio, againstAllInt8, final.MinCosine);
            }

            // The gains did not add up in the final side-by-side measurement: the fully quantized model is returned.
            layers = [.. layers.Select(l => l with { RevertedToFp32 = false })];
        }

        return new LatencyGuidedResult(full, layers, allInt8.LatencyRatio, allInt8.LatencyRatio, 1.0, allInt8.MinCosine);
    }

    /// <summary>Worst cosine of <paramref name="candidate"/>'s outputs against fp32 on the samples (no timing).</summary>
    private static double Fidelity(byte[] fp32, byte[] candidate, IReadOnlyList<IReadOnlyDictionary<string, NpyArray>> samples, LatencyGuidedOptions options, CancellationToken cancellationToken) =>
        ModelComparer.Compare(fp32, candidate, samples, new ModelComparisonOptions { TimingRepeats = 0, IntraOpThreads = options.IntraOpThreads }, cancellationToken)
            .MinCosine;

    private static ModelComparison Time(
        byte[] reference, byte[] candidate, IReadOnlyList<IReadOnlyDictionary<string, NpyArray>> samples, LatencyGuidedOptions options, bool referenceIsInt8, CancellationToken cancellationToken)
    {
        var comparison = new ModelComparisonOptions { TimingRepeats = options.TimingRepeats, IntraOpThreads = options.IntraOpThreads };
        if (referenceIsInt8)
        {
            comparison.ReferenceDisabledOptimizers.Add(QdqPropagation);
        }

        return ModelComparer.Compare(reference, candidate, samples, comparison, cancellationToken);
    }
}

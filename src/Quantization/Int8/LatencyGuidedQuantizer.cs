using EdgeAI.Quantization.Calibration;
using EdgeAI.Quantization.Evaluation;
using EdgeAI.Quantization.Onnx;

namespace EdgeAI.Quantization.Int8;

/// <summary>
/// Static int8 tuned for speed on the machine it runs on. Some ONNX Runtime int8 kernels are slower than their fp32
/// counterparts on some CPUs (depthwise convolutions, a 3-channel full-resolution first convolution, uint8 MaxPool), and
/// which ones depends on the model and the CPU, so this measures: it quantizes everything, then tries candidates in fp32 —
/// first groups (all depthwise convolutions, all MaxPool, each single-entry single-exit block, so that a region pays one
/// Q/DQ boundary instead of one around every layer), then each remaining quantized layer in graph order — and keeps a
/// change only when the whole model, timed side by side with the best model so far in this process, is faster by
/// <see cref="LatencyGuidedOptions.MinGain"/> in every one of <see cref="LatencyGuidedOptions.Confirmations"/> consecutive
/// measurements, and the accuracy guard passes: on the accuracy samples, top-1 agreement with fp32 no lower than the
/// all-int8 model's and mean cosine within <see cref="LatencyGuidedOptions.MeanCosineTolerance"/> of it.
/// </summary>
public static class LatencyGuidedQuantizer
{
    private const string QdqPropagation = "QDQPropagationTransformer";

    /// <summary>Quantizes a copy of <paramref name="model"/> and keeps the layers fp32 that measured faster that way.</summary>
    /// <param name="model">The fp32 model (opset 13 or later).</param>
    /// <param name="calibration">Calibrated ranges.</param>
    /// <param name="samples">
    /// Held-out inputs: the first <see cref="LatencyGuidedOptions.TimingSamples"/> are timed (each
    /// <see cref="LatencyGuidedOptions.TimingRepeats"/> times per measurement), the first
    /// <see cref="LatencyGuidedOptions.AccuracySamples"/> are run once by the accuracy guard for each candidate that timed faster.
    /// </param>
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

        var timing = samples.Take(options.TimingSamples).ToList();
        var accuracy = samples.Take(options.AccuracySamples).ToList();
        var full = StaticQuantizer.Quantize(model, calibration, options.Quantization);
        var fullBytes = full.Model.ToSelfContainedBytes();
        var fp32Bytes = model.ToSelfContainedBytes();
        var allInt8Agreement = Agreement(fp32Bytes, fullBytes, accuracy, options, cancellationToken);
        var (best, bestBytes, bestAgreement) = (full, fullBytes, allInt8Agreement);
        var reverted = new HashSet<string>(StringComparer.Ordinal);
        var layers = new List<LayerLatency>();
        foreach (var candidate in Candidates(model, full, options))
        {
            if (!AddsSomething(candidate, reverted))
            {
                continue;
            }

            cancellationToken.ThrowIfCancellationRequested();
            var trial = StaticQuantizer.Quantize(model, calibration, FallbackCandidates.Excluding(options.Quantization, [.. reverted, .. candidate.Nodes.Select(n => n.Name)]));
            var trialBytes = trial.Model.ToSelfContainedBytes();
            var ratios = new List<double>(options.Confirmations);
            while (ratios.Count < options.Confirmations && (ratios.Count == 0 || ratios[^1] < 1 - options.MinGain))
            {
                ratios.Add(Time(bestBytes, trialBytes, timing, options, referenceIsInt8: true, cancellationToken).LatencyRatio);
            }

            var faster = ratios.All(r => r < 1 - options.MinGain);
            var agreement = faster ? Agreement(fp32Bytes, trialBytes, accuracy, options, cancellationToken) : null;
            var accurate = agreement is not null && AsAccurate(agreement, allInt8Agreement, options.MeanCosineTolerance);
            layers.Add(new LayerLatency(candidate.Name, candidate.Label, [.. candidate.Nodes.Select(n => n.Label)], accurate, ratios, faster && !accurate));
            if (accurate)
            {
                reverted.UnionWith(candidate.Nodes.Select(n => n.Name));
                (best, bestBytes, bestAgreement) = (trial, trialBytes, agreement!);
            }
        }

        var allInt8 = Time(fp32Bytes, fullBytes, timing, options, referenceIsInt8: false, cancellationToken);
        if (reverted.Count > 0)
        {
            var againstAllInt8 = Time(fullBytes, bestBytes, timing, options, referenceIsInt8: true, cancellationToken).LatencyRatio;
            if (againstAllInt8 < 1)
            {
                var final = Time(fp32Bytes, bestBytes, timing, options, referenceIsInt8: false, cancellationToken);
                return new LatencyGuidedResult(best, layers, allInt8.LatencyRatio, final.LatencyRatio, againstAllInt8, bestAgreement);
            }

            // The gains did not add up in the final side-by-side measurement: the fully quantized model is returned.
            layers = [.. layers.Select(l => l with { RevertedToFp32 = false })];
        }

        return new LatencyGuidedResult(full, layers, allInt8.LatencyRatio, allInt8.LatencyRatio, 1.0, allInt8Agreement);
    }

    /// <summary>Groups first (when enabled), then every single quantized layer, in graph order.</summary>
    private static IEnumerable<FallbackGroup> Candidates(OnnxModel model, QuantizationResult full, LatencyGuidedOptions options) =>
        (options.TryGroups ? FallbackCandidates.Groups(model, full) : [])
            .Concat(FallbackCandidates.Of(model, full).Select(FallbackGroup.Of));

    /// <summary>
    /// Whether <paramref name="candidate"/> would keep more in fp32 than <paramref name="reverted"/> already does: a single layer
    /// not reverted yet; a group with at least two layers not reverted yet (one left is the single-layer pass's to try), or
    /// a group of pass-through nodes only (MaxPool) not reverted yet.
    /// </summary>
    private static bool AddsSomething(FallbackGroup candidate, HashSet<string> reverted)
    {
        var added = candidate.Nodes.Where(n => !reverted.Contains(n.Name)).ToList();
        return candidate.Nodes.Count == 1
            ? added.Count == 1
            : added.Count(FallbackCandidates.IsLayer) >= 2 || (added.Count > 0 && !candidate.Nodes.Any(FallbackCandidates.IsLayer));
    }

    /// <summary>
    /// The guard: no output's top-1 agreement with fp32 below the all-int8 model's, and no output's mean cosine more than
    /// <paramref name="tolerance"/> below it. (The worst single cosine is not used: on a two-class softmax it follows one
    /// borderline input, and moved by ±0.1 whichever single layer of the PaddleOCR classifier was kept fp32.)
    /// </summary>
    private static bool AsAccurate(ModelComparison candidate, ModelComparison allInt8, double tolerance) =>
        candidate.Outputs.Zip(allInt8.Outputs).All(p =>
            p.First.MeanCosine >= p.Second.MeanCosine - tolerance
            && (p.First.Top1Agreement is not { } top1 || p.Second.Top1Agreement is not { } reference || top1 >= reference - 1e-9));

    /// <summary>Agreement of <paramref name="candidate"/>'s outputs with fp32 on the accuracy samples (no timing).</summary>
    private static ModelComparison Agreement(byte[] fp32, byte[] candidate, IReadOnlyList<IReadOnlyDictionary<string, NpyArray>> samples, LatencyGuidedOptions options, CancellationToken cancellationToken) =>
        ModelComparer.Compare(fp32, candidate, samples, new ModelComparisonOptions { TimingRepeats = 0, IntraOpThreads = options.IntraOpThreads }, cancellationToken);

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

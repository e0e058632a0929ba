using EdgeAI.Quantization.Calibration;
using EdgeAI.Quantization.Evaluation;
using EdgeAI.Quantization.Onnx;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeAI.Quantization.Int8;

/// <summary>
/// Static int8 with an accuracy budget. Each quantizable node is first quantized alone and the SQNR of its own
/// output against fp32 measured (its sensitivity); then the most sensitive nodes are kept in fp32, one at a time,
/// until the worst per-sample cosine of the graph outputs (ONNX Runtime with fused int8 kernels) meets the budget.
/// </summary>
public static class AccuracyAwareQuantizer
{
    /// <summary>Quantizes a copy of <paramref name="model"/> within the budget.</summary>
    /// <param name="model">The fp32 model (opset 13 or later).</param>
    /// <param name="calibration">Calibrated ranges.</param>
    /// <param name="samples">Inputs to measure on (e.g. the calibration set; a held-out set is better).</param>
    /// <param name="options">Budget and quantizer settings; defaults when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Checked between measurements.</param>
    /// <exception cref="ArgumentException">Options invalid, no samples, or the model imports an opset below 13.</exception>
    public static AccuracyAwareResult Quantize(
        OnnxModel model,
        CalibrationResult calibration,
        IReadOnlyList<IReadOnlyDictionary<string, NpyArray>> samples,
        AccuracyAwareOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(calibration);
        ArgumentNullException.ThrowIfNull(samples);
        options ??= new AccuracyAwareOptions();
        options.Validate();
        if (samples.Count == 0)
        {
            throw new ArgumentException("At least one sample is needed to measure accuracy.", nameof(samples));
        }

        var full = StaticQuantizer.Quantize(model, calibration, options.Quantization);
        var candidates = FallbackCandidates.Of(model, full);

        var reference = Intermediates(model, model.Graph.Nodes.SelectMany(n => n.Outputs), samples);
        var sensitivities = new List<LayerSensitivity>();
        foreach (var node in candidates)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var alone = FallbackCandidates.Excluding(options.Quantization, model.Graph.Nodes.Where(o => o.Name != node.Name).Select(o => o.Name));

            var single = StaticQuantizer.Quantize(model, calibration, alone).Model;
            // A ReLU that alone read the node's output is folded into its quantization; then the ReLU's output is the node's.
            var tensor = single.Graph.FindProducer(node.Outputs[0]) is not null
                ? node.Outputs[0]
                : model.Graph.FindConsumers(node.Outputs[0]).Single().Outputs[0];
            var output = Intermediates(single, [tensor], samples);
            sensitivities.Add(new LayerSensitivity(node.Name, node.Label, Sqnr(reference, output, tensor)));
        }

        sensitivities.Sort((a, b) => a.SqnrDb.CompareTo(b.SqnrDb));
        var fp32Bytes = model.ToSelfContainedBytes();
        var kept = new List<string>();
        var current = full;
        var cosine = Cosine(fp32Bytes, current, samples);
        foreach (var layer in sensitivities)
        {
            if (cosine >= options.MinCosine)
            {
                break;
            }

            cancellationToken.ThrowIfCancellationRequested();
            kept.Add(layer.Node);
            current = StaticQuantizer.Quantize(model, calibration, FallbackCandidates.Excluding(options.Quantization, kept));
            cosine = current.QuantizedNodes.Count == 0 ? 1.0 : Cosine(fp32Bytes, current, samples);
        }

        return new AccuracyAwareResult(current, sensitivities, kept, cosine, cosine >= options.MinCosine);
    }

    private static double Cosine(byte[] fp32, QuantizationResult candidate, IReadOnlyList<IReadOnlyDictionary<string, NpyArray>> samples) =>
        ModelComparer.Compare(fp32, candidate.Model.ToSelfContainedBytes(), samples, new ModelComparisonOptions { TimingRepeats = 0 }).MinCosine;

    /// <summary>The values of <paramref name="tensors"/> for every sample, with graph optimizations off so each is observable.</summary>
    private static List<Dictionary<string, float[]>> Intermediates(OnnxModel model, IEnumerable<string> tensors, IReadOnlyList<IReadOnlyDictionary<string, NpyArray>> samples)
    {
        var wanted = tensors.ToHashSet(StringComparer.Ordinal);
        using var runner = new IntermediateRunner(model, intraOpThreads: 1);
        var result = new List<Dictionary<string, float[]>>(samples.Count);
        for (var i = 0; i < samples.Count; i++)
        {
            var values = new Dictionary<string, float[]>(StringComparer.Ordinal);
            runner.Run(samples[i], i, (name, value) =>
            {
                if (wanted.Contains(name) && value.OnnxType == OnnxValueType.ONNX_TYPE_TENSOR && value.GetTensorTypeAndShape().ElementDataType == TensorElementType.Float)
                {
                    values[name] = value.GetTensorDataAsSpan<float>().ToArray();
                }
            });
            result.Add(values);
        }

        return result;
    }

    private static double Sqnr(List<Dictionary<string, float[]>> reference, List<Dictionary<string, float[]>> candidate, string tensor)
    {
        double signal = 0, noise = 0;
        for (var i = 0; i < reference.Count; i++)
        {
            var r = reference[i][tensor];
            var c = candidate[i][tensor];
            for (var k = 0; k < r.Length; k++)
            {
                signal += (double)r[k] * r[k];
                noise += ((double)r[k] - c[k]) * ((double)r[k] - c[k]);
            }
        }

        return noise == 0 ? double.PositiveInfinity : 10 * Math.Log10(signal / noise);
    }
}

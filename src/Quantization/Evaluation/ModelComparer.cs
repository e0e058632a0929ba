using System.Diagnostics;
using EdgeAI.Quantization.Calibration;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeAI.Quantization.Evaluation;

/// <summary>
/// Runs a reference model (fp32) and a candidate (e.g. its int8 form) on the same inputs in ONNX Runtime and
/// measures how far the candidate's float outputs are from the reference's, and how long each takes when
/// timed side by side in the same process (runs interleaved, so machine load affects both alike).
/// </summary>
public static class ModelComparer
{
    /// <summary>Compares two models with the same graph inputs and outputs.</summary>
    /// <param name="reference">The reference model file bytes (self-contained).</param>
    /// <param name="candidate">The candidate model file bytes (self-contained).</param>
    /// <param name="samples">Inputs, one dictionary per sample (graph input name to array).</param>
    /// <param name="options">Session and timing settings; defaults when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Checked between samples.</param>
    /// <exception cref="ArgumentException">No samples, the models' inputs or outputs differ, or ONNX Runtime rejects a model or sample.</exception>
    public static ModelComparison Compare(
        ReadOnlyMemory<byte> reference,
        ReadOnlyMemory<byte> candidate,
        IEnumerable<IReadOnlyDictionary<string, NpyArray>> samples,
        ModelComparisonOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(samples);
        options ??= new ModelComparisonOptions();
        options.Validate();

        using var referenceSession = CreateSession(reference, options, options.ReferenceDisabledOptimizers, "reference");
        using var candidateSession = CreateSession(candidate, options, options.CandidateDisabledOptimizers, "candidate");
        var inputs = referenceSession.InputMetadata;
        if (!inputs.Keys.Order(StringComparer.Ordinal).SequenceEqual(candidateSession.InputMetadata.Keys.Order(StringComparer.Ordinal), StringComparer.Ordinal))
        {
            throw new ArgumentException(
                $"The models take different inputs: reference ({string.Join(", ", inputs.Keys)}), candidate ({string.Join(", ", candidateSession.InputMetadata.Keys)}).",
                nameof(candidate));
        }

        var outputNames = referenceSession.OutputMetadata
            .Where(o => o.Value.IsTensor && o.Value.ElementDataType == TensorElementType.Float)
            .Select(o => o.Key)
            .Where(candidateSession.OutputMetadata.ContainsKey)
            .ToList();
        if (outputNames.Count == 0)
        {
            throw new ArgumentException("The models share no float tensor output to compare.", nameof(candidate));
        }

        var accumulators = outputNames.ToDictionary(n => n, n => new OutputAccumulator(n), StringComparer.Ordinal);
        var referenceTicks = new List<long>();
        var candidateTicks = new List<long>();
        var inputNames = inputs.Keys.ToList();
        using var runOptions = new RunOptions();
        var sampleCount = 0;
        foreach (var sample in samples)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var values = new List<OrtValue>(inputNames.Count);
            try
            {
                foreach (var name in inputNames)
                {
                    if (!sample.TryGetValue(name, out var array))
                    {
                        throw new ArgumentException($"Sample {sampleCount} has no array for graph input '{name}'.", nameof(samples));
                    }

                    values.Add(array.ToOrtValue(inputs[name].ElementDataType));
                }

                var referenceOutputs = Run(referenceSession, runOptions, inputNames, values, outputNames, sampleCount, "reference");
                var candidateOutputs = Run(candidateSession, runOptions, inputNames, values, outputNames, sampleCount, "candidate");
                foreach (var name in outputNames)
                {
                    accumulators[name].Add(referenceOutputs[name].Data, candidateOutputs[name].Data, referenceOutputs[name].Shape);
                }

                // Timing: alternate which model runs first so warm caches favour neither.
                for (var r = 0; r < options.TimingRepeats; r++)
                {
                    var first = (r & 1) == 0;
                    var a = Time(first ? referenceSession : candidateSession, runOptions, inputNames, values, outputNames);
                    var b = Time(first ? candidateSession : referenceSession, runOptions, inputNames, values, outputNames);
                    referenceTicks.Add(first ? a : b);
                    candidateTicks.Add(first ? b : a);
                }
            }
            finally
            {
                values.ForEach(v => v.Dispose());
            }

            sampleCount++;
        }

        if (sampleCount == 0)
        {
            throw new ArgumentException("The comparison data set is empty; expected at least one sample.", nameof(samples));
        }

        var referenceMicros = Median(referenceTicks);
        var candidateMicros = Median(candidateTicks);
        return new ModelComparison(
            sampleCount,
            [.. outputNames.Select(n => accumulators[n].ToAgreement())],
            reference.Length,
            candidate.Length,
            referenceMicros,
            candidateMicros);
    }

    private static InferenceSession CreateSession(ReadOnlyMemory<byte> model, ModelComparisonOptions options, ICollection<string> disabledOptimizers, string which)
    {
        using var sessionOptions = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            IntraOpNumThreads = options.IntraOpThreads,
        };
        if (disabledOptimizers.Count > 0)
        {
            sessionOptions.AddSessionConfigEntry("optimization.disable_specified_optimizers", string.Join(",", disabledOptimizers));
        }

        try
        {
            return new InferenceSession(model.ToArray(), sessionOptions);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new ArgumentException($"ONNX Runtime cannot load the {which} model: {ex.Message}", which, ex);
        }
    }

    private static Dictionary<string, (float[] Data, long[] Shape)> Run(
        InferenceSession session, RunOptions runOptions, List<string> inputNames, List<OrtValue> values, List<string> outputNames, int sample, string which)
    {
        try
        {
            using var outputs = session.Run(runOptions, inputNames, values, outputNames);
            var result = new Dictionary<string, (float[], long[])>(StringComparer.Ordinal);
            for (var k = 0; k < outputNames.Count; k++)
            {
                result[outputNames[k]] = (outputs[k].GetTensorDataAsSpan<float>().ToArray(), outputs[k].GetTensorTypeAndShape().Shape);
            }

            return result;
        }
        catch (OnnxRuntimeException ex)
        {
            throw new ArgumentException($"ONNX Runtime rejected sample {sample} on the {which} model: {ex.Message}", nameof(values), ex);
        }
    }

    private static long Time(InferenceSession session, RunOptions runOptions, List<string> inputNames, List<OrtValue> values, List<string> outputNames)
    {
        var start = Stopwatch.GetTimestamp();
        using (session.Run(runOptions, inputNames, values, outputNames))
        {
        }

        return Stopwatch.GetTimestamp() - start;
    }

    private static double Median(List<long> ticks)
    {
        if (ticks.Count == 0)
        {
            return double.NaN;
        }

        ticks.Sort();
        var mid = ticks.Count / 2;
        var t = ticks.Count % 2 == 1 ? ticks[mid] : (ticks[mid - 1] + ticks[mid]) / 2.0;
        return t * 1e6 / Stopwatch.Frequency;
    }
}

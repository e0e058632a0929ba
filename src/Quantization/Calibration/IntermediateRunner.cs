using EdgeAI.Quantization.Onnx;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeAI.Quantization.Calibration;

/// <summary>
/// Runs a copy of a model whose every node output is also a graph output, in ONNX Runtime with graph
/// optimizations off so that no intermediate is fused away.
/// </summary>
internal sealed class IntermediateRunner : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly List<string> _outputNames;

    public IntermediateRunner(OnnxModel model, int intraOpThreads)
    {
        var initializers = model.Graph.Initializers.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        InputNames = [.. model.Graph.Inputs.Where(i => !initializers.Contains(i.Name)).Select(i => i.Name)];
        var outputs = model.Graph.Nodes.SelectMany(n => n.Outputs).Where(o => o.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        var probe = model.WithOutputs(outputs);

        using var sessionOptions = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
        if (intraOpThreads > 0)
        {
            sessionOptions.IntraOpNumThreads = intraOpThreads;
        }

        try
        {
            _session = new InferenceSession(probe.ToSelfContainedBytes(), sessionOptions);
        }
        catch (OnnxRuntimeException ex)
        {
            _runOptions.Dispose();
            throw new OnnxFormatException($"ONNX Runtime cannot load the model with its intermediates exposed: {ex.Message}", model.ModelPath, ex);
        }

        _outputNames = [.. _session.OutputNames];
    }

    /// <summary>The graph inputs a sample must provide (initializers excluded).</summary>
    public IReadOnlyList<string> InputNames { get; }

    /// <summary>The element type ONNX Runtime expects for input <paramref name="name"/>.</summary>
    public TensorElementType InputType(string name) => _session.InputMetadata[name].ElementDataType;

    /// <summary>Runs one sample and hands each output tensor (graph outputs and intermediates) to <paramref name="visit"/>.</summary>
    /// <exception cref="ArgumentException">The sample lacks an input or ONNX Runtime rejects it.</exception>
    public void Run(IReadOnlyDictionary<string, NpyArray> sample, int index, Action<string, OrtValue> visit)
    {
        var values = new List<OrtValue>(InputNames.Count);
        try
        {
            foreach (var name in InputNames)
            {
                if (!sample.TryGetValue(name, out var array))
                {
                    throw new ArgumentException($"Calibration sample {index} has no array for graph input '{name}'; it has: {string.Join(", ", sample.Keys)}.", nameof(sample));
                }

                values.Add(array.ToOrtValue(InputType(name)));
            }

            IDisposableReadOnlyCollection<OrtValue> results;
            try
            {
                results = _session.Run(_runOptions, InputNames, values, _outputNames);
            }
            catch (OnnxRuntimeException ex)
            {
                throw new ArgumentException($"ONNX Runtime rejected calibration sample {index}: {ex.Message}", nameof(sample), ex);
            }

            using (results)
            {
                for (var k = 0; k < _outputNames.Count; k++)
                {
                    visit(_outputNames[k], results[k]);
                }
            }
        }
        finally
        {
            values.ForEach(v => v.Dispose());
        }
    }

    public void Dispose()
    {
        _session.Dispose();
        _runOptions.Dispose();
    }
}

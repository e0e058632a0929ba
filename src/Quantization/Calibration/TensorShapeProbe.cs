using EdgeAI.Quantization.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace EdgeAI.Quantization.Calibration;

/// <summary>
/// Asks ONNX Runtime for the concrete element type and shape of every tensor a model computes, by running one
/// sample through a copy that exposes all intermediates as outputs. Complements
/// <see cref="OnnxGraph.FindTensorInfo"/>, which only knows what the file declares.
/// </summary>
public static class TensorShapeProbe
{
    /// <summary>Runs <paramref name="sample"/> and returns the type and shape of each node output (and graph output).</summary>
    /// <param name="model">The model; not changed.</param>
    /// <param name="sample">One array per graph input.</param>
    /// <exception cref="ArgumentException">The sample lacks an input or ONNX Runtime rejects it.</exception>
    /// <exception cref="OnnxFormatException">The model is not valid or ONNX Runtime cannot load it.</exception>
    public static IReadOnlyDictionary<string, OnnxTensorInfo> Probe(OnnxModel model, IReadOnlyDictionary<string, NpyArray> sample)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(sample);
        model.Validate();
        using var runner = new IntermediateRunner(model, intraOpThreads: 0);
        var result = new Dictionary<string, OnnxTensorInfo>(StringComparer.Ordinal);
        runner.Run(sample, 0, (name, value) =>
        {
            if (value.OnnxType == OnnxValueType.ONNX_TYPE_TENSOR)
            {
                var info = value.GetTensorTypeAndShape();
                result[name] = new OnnxTensorInfo(name, info.ElementDataType, [.. info.Shape.Select(OnnxDimension.FromInt64)]);
            }
        });
        return result;
    }
}

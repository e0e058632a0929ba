using EdgeAI.Quantization.Calibration;
using EdgeAI.Quantization.Onnx;

namespace EdgeAI.Quantization.Int8;

/// <summary>
/// Static int8 quantization in ONNX's QDQ form: for each Conv, Gemm and MatMul with a constant weight, the
/// weight becomes int8 (symmetric, one scale per output channel) behind a DequantizeLinear, the bias int32
/// (scale = input scale × weight scale), and the activations uint8 (asymmetric, from calibrated ranges)
/// through QuantizeLinear → DequantizeLinear pairs. ONNX Runtime fuses these patterns into int8 kernels.
/// </summary>
/// <remarks>Needs opset 13 or later (per-channel DequantizeLinear). The input model is not changed.</remarks>
public static class StaticQuantizer
{
    /// <summary>Quantizes a copy of <paramref name="model"/>.</summary>
    /// <param name="model">The fp32 model.</param>
    /// <param name="calibration">Ranges of the model's tensors (see <see cref="Calibrator"/>).</param>
    /// <param name="options">Which operators and nodes; defaults when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">The options are invalid, or the model imports an opset below 13.</exception>
    /// <exception cref="OnnxFormatException">The model is not valid, or a weight cannot be read.</exception>
    public static QuantizationResult Quantize(OnnxModel model, CalibrationResult calibration, StaticQuantizationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(calibration);
        options ??= new StaticQuantizationOptions();
        options.Validate();
        model.Validate();
        var opset = model.GetOpset() ?? 0;
        if (opset < 13)
        {
            throw new ArgumentException($"The model imports opset {opset} of the default domain; static quantization needs 13 or later for per-channel DequantizeLinear.", nameof(model));
        }

        return new QdqRewriter(model.Clone(), calibration, options).Run();
    }
}

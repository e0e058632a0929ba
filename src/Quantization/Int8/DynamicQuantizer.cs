using EdgeAI.Quantization.Onnx;

namespace EdgeAI.Quantization.Int8;

/// <summary>
/// Dynamic int8 quantization: weights become int8 (symmetric, one scale per output column) and ONNX Runtime
/// quantizes the activations itself on every call, so no calibration set is needed. MatMul and Gemm with a
/// constant 2-D weight become <c>com.microsoft.DynamicQuantizeMatMul</c>; LSTM becomes
/// <c>com.microsoft.DynamicQuantizeLSTM</c> (weights transposed to [directions, input, 4·hidden], gate order
/// i, o, f, c kept); com.microsoft Attention becomes <c>com.microsoft.QAttention</c> fed by a DynamicQuantizeLinear
/// of its input. These are ONNX Runtime contrib operators: the result runs in ONNX Runtime, not in other runtimes.
/// GRU stays fp32 (ONNX Runtime has no int8 GRU kernel) and is listed in <see cref="QuantizationResult.SkippedNodes"/>.
/// </summary>
/// <remarks>The input model is not changed. Suited to recurrent and fully connected models whose activation ranges vary per input.</remarks>
public static class DynamicQuantizer
{
    /// <summary>The operator domain of the contrib operators the result uses.</summary>
    public const string MicrosoftDomain = "com.microsoft";

    /// <summary>Quantizes a copy of <paramref name="model"/>.</summary>
    /// <param name="model">The fp32 model.</param>
    /// <param name="options">Which operators and nodes; defaults when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    /// <exception cref="OnnxFormatException">The model is not valid, or a weight cannot be read.</exception>
    public static QuantizationResult Quantize(OnnxModel model, DynamicQuantizationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new DynamicQuantizationOptions();
        options.Validate();
        model.Validate();
        return new DynamicRewriter(model.Clone(), options).Run();
    }
}

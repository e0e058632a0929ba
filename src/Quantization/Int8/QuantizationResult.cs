using EdgeAI.Quantization.Onnx;

namespace EdgeAI.Quantization.Int8;

/// <summary>The quantized model (static or dynamic) and what was and was not quantized.</summary>
public sealed class QuantizationResult
{
    internal QuantizationResult(OnnxModel model, IReadOnlyList<string> quantizedNodes, IReadOnlyList<string> skippedNodes)
    {
        Model = model;
        QuantizedNodes = quantizedNodes;
        SkippedNodes = skippedNodes;
    }

    /// <summary>
    /// The quantized model, fp32 interface. Static: int8 weights and uint8 activations between
    /// QuantizeLinear/DequantizeLinear pairs. Dynamic: int8 weights inside <c>com.microsoft</c>
    /// DynamicQuantizeMatMul / DynamicQuantizeLSTM / QAttention nodes.
    /// </summary>
    public OnnxModel Model { get; }

    /// <summary>Labels of the nodes that were quantized.</summary>
    public IReadOnlyList<string> QuantizedNodes { get; }

    /// <summary>One sentence per candidate node left in fp32, naming the node and why.</summary>
    public IReadOnlyList<string> SkippedNodes { get; }
}

namespace EdgeAI.Quantization.Int8;

/// <summary>How the static quantizer treats each operator it supports.</summary>
internal enum QdqOperatorKind
{
    /// <summary>Conv, ConvTranspose, Gemm, MatMul: int8 per-channel weight, int32 bias, quantized input and output.</summary>
    Weighted,

    /// <summary>Every float input and the output quantized; ONNX Runtime replaces the group with a QLinear* kernel.</summary>
    Activation,

    /// <summary>Moves data without computing on it: runs on the quantized tensor, whose scale and zero point pass to its output.</summary>
    PassThrough,

    /// <summary>Div by a positive scalar constant: folded into the dequantization scale, no node left.</summary>
    Rescale,
}

/// <summary>The operator table of <see cref="QdqRewriter"/>, checked against ONNX Runtime's QDQ selector-action transformer (1.31).</summary>
internal static class QdqOperators
{
    private static readonly Dictionary<string, QdqOperatorKind> Kinds = new(StringComparer.Ordinal)
    {
        ["Conv"] = QdqOperatorKind.Weighted,
        ["ConvTranspose"] = QdqOperatorKind.Weighted,
        ["Gemm"] = QdqOperatorKind.Weighted,
        ["MatMul"] = QdqOperatorKind.Weighted,

        // ORT: BinaryReplaceWithQLinear (QLinearAdd, QLinearMul), VariadicReplaceWithQLinear (QLinearConcat) and
        // UnaryReplaceWithQLinear (QLinearAveragePool, QLinearGlobalAveragePool, QLinearLeakyRelu, QLinearSigmoid, QLinearSoftmax).
        // A Mul by a positive scalar constant is folded into the scale instead (see Rescale).
        ["Add"] = QdqOperatorKind.Activation,
        ["Mul"] = QdqOperatorKind.Activation,
        ["Concat"] = QdqOperatorKind.Activation,
        ["AveragePool"] = QdqOperatorKind.Activation,
        ["GlobalAveragePool"] = QdqOperatorKind.Activation,
        ["LeakyRelu"] = QdqOperatorKind.Activation,
        ["Sigmoid"] = QdqOperatorKind.Activation,
        ["Softmax"] = QdqOperatorKind.Activation,

        // ORT's DropQDQNodes rules: these run on uint8/int8 tensors directly when input and output share parameters.
        ["Reshape"] = QdqOperatorKind.PassThrough,
        ["Flatten"] = QdqOperatorKind.PassThrough,
        ["Transpose"] = QdqOperatorKind.PassThrough,
        ["Squeeze"] = QdqOperatorKind.PassThrough,
        ["Unsqueeze"] = QdqOperatorKind.PassThrough,
        ["Slice"] = QdqOperatorKind.PassThrough,
        ["Gather"] = QdqOperatorKind.PassThrough,
        ["Expand"] = QdqOperatorKind.PassThrough,
        ["Tile"] = QdqOperatorKind.PassThrough,
        ["MaxPool"] = QdqOperatorKind.PassThrough,
        ["Resize"] = QdqOperatorKind.PassThrough,

        ["Div"] = QdqOperatorKind.Rescale,
    };

    /// <summary>Every operator the static quantizer handles.</summary>
    public static IReadOnlySet<string> Supported { get; } = new HashSet<string>(Kinds.Keys, StringComparer.Ordinal);

    /// <summary>The kind of <paramref name="opType"/>; only for members of <see cref="Supported"/>.</summary>
    public static QdqOperatorKind KindOf(string opType) => Kinds[opType];
}

namespace EdgeAI.Quantization.Onnx;

/// <summary>The kind of value a node attribute holds; the values are ONNX's AttributeType numbers.</summary>
public enum OnnxAttributeKind
{
    /// <summary>No type recorded (invalid in a well-formed model).</summary>
    Undefined = 0,

    /// <summary>One 32-bit float.</summary>
    Float = 1,

    /// <summary>One 64-bit integer.</summary>
    Int = 2,

    /// <summary>One UTF-8 string.</summary>
    String = 3,

    /// <summary>One tensor.</summary>
    Tensor = 4,

    /// <summary>A subgraph (If, Loop, Scan bodies); kept, not editable through this API.</summary>
    Graph = 5,

    /// <summary>A list of floats.</summary>
    Floats = 6,

    /// <summary>A list of 64-bit integers.</summary>
    Ints = 7,

    /// <summary>A list of strings.</summary>
    Strings = 8,

    /// <summary>A list of tensors.</summary>
    Tensors = 9,

    /// <summary>A list of subgraphs.</summary>
    Graphs = 10,

    /// <summary>A sparse tensor.</summary>
    SparseTensor = 11,

    /// <summary>A list of sparse tensors.</summary>
    SparseTensors = 12,

    /// <summary>A type.</summary>
    TypeProto = 13,

    /// <summary>A list of types.</summary>
    TypeProtos = 14,
}

using EdgeAI.Quantization.Onnx.Proto;
using Google.Protobuf;
using AttributeType = EdgeAI.Quantization.Onnx.Proto.AttributeProto.Types.AttributeType;

namespace EdgeAI.Quantization.Onnx;

/// <summary>
/// A node attribute: a name and one value of a given <see cref="OnnxAttributeKind"/>. Create one with the
/// static factories (<see cref="Int"/>, <see cref="Floats"/>, …) and read it with the <c>Get…</c> methods,
/// which check the kind.
/// </summary>
public sealed class OnnxAttribute
{
    internal OnnxAttribute(AttributeProto proto, string? baseDirectory = null, string? modelPath = null)
    {
        Proto = proto;
        BaseDirectory = baseDirectory;
        ModelPath = modelPath;
    }

    /// <summary>The attribute name (e.g. <c>transB</c>, <c>kernel_shape</c>).</summary>
    public string Name => Proto.Name;

    /// <summary>What kind of value it holds.</summary>
    public OnnxAttributeKind Kind => (OnnxAttributeKind)(int)Proto.Type;

    internal AttributeProto Proto { get; }

    private string? BaseDirectory { get; }

    private string? ModelPath { get; }

    /// <summary>An INT attribute.</summary>
    public static OnnxAttribute Int(string name, long value) =>
        new(new AttributeProto { Name = Check(name), Type = AttributeType.Int, I = value });

    /// <summary>A FLOAT attribute.</summary>
    public static OnnxAttribute Float(string name, float value) =>
        new(new AttributeProto { Name = Check(name), Type = AttributeType.Float, F = value });

    /// <summary>A STRING attribute (stored as UTF-8).</summary>
    public static OnnxAttribute String(string name, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new(new AttributeProto { Name = Check(name), Type = AttributeType.String, S = ByteString.CopyFromUtf8(value) });
    }

    /// <summary>An INTS attribute (e.g. <c>kernel_shape</c>, <c>pads</c>, <c>perm</c>).</summary>
    public static OnnxAttribute Ints(string name, params ReadOnlySpan<long> values)
    {
        var proto = new AttributeProto { Name = Check(name), Type = AttributeType.Ints };
        proto.Ints.AddRange(values.ToArray());
        return new(proto);
    }

    /// <summary>A FLOATS attribute.</summary>
    public static OnnxAttribute Floats(string name, params ReadOnlySpan<float> values)
    {
        var proto = new AttributeProto { Name = Check(name), Type = AttributeType.Floats };
        proto.Floats.AddRange(values.ToArray());
        return new(proto);
    }

    /// <summary>A TENSOR attribute (e.g. Constant's <c>value</c>); the tensor is copied.</summary>
    public static OnnxAttribute Tensor(string name, OnnxTensor value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new(new AttributeProto { Name = Check(name), Type = AttributeType.Tensor, T = value.Proto.Clone() });
    }

    /// <summary>The value of an INT attribute.</summary>
    /// <exception cref="InvalidOperationException">The attribute is of another kind.</exception>
    public long GetInt() => Expect(OnnxAttributeKind.Int).I;

    /// <summary>The value of a FLOAT attribute.</summary>
    /// <exception cref="InvalidOperationException">The attribute is of another kind.</exception>
    public float GetFloat() => Expect(OnnxAttributeKind.Float).F;

    /// <summary>The value of a STRING attribute, decoded from UTF-8.</summary>
    /// <exception cref="InvalidOperationException">The attribute is of another kind.</exception>
    public string GetString() => Expect(OnnxAttributeKind.String).S.ToStringUtf8();

    /// <summary>A copy of the values of an INTS attribute.</summary>
    /// <exception cref="InvalidOperationException">The attribute is of another kind.</exception>
    public long[] GetInts() => [.. Expect(OnnxAttributeKind.Ints).Ints];

    /// <summary>A copy of the values of a FLOATS attribute.</summary>
    /// <exception cref="InvalidOperationException">The attribute is of another kind.</exception>
    public float[] GetFloats() => [.. Expect(OnnxAttributeKind.Floats).Floats];

    /// <summary>The tensor of a TENSOR attribute (a view, see <see cref="OnnxTensor"/>).</summary>
    /// <exception cref="InvalidOperationException">The attribute is of another kind.</exception>
    public OnnxTensor GetTensor() => new(Expect(OnnxAttributeKind.Tensor).T, BaseDirectory, ModelPath);

    /// <summary>The name and kind, e.g. <c>transB: Int</c>.</summary>
    public override string ToString() => $"{Name}: {Kind}";

    private static string Check(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return name;
    }

    private AttributeProto Expect(OnnxAttributeKind kind) =>
        Kind == kind
            ? Proto
            : throw new InvalidOperationException($"Attribute '{Name}' is {Kind}; it was read as {kind}.");
}

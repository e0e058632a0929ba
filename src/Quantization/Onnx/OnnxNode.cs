using System.Runtime.CompilerServices;
using EdgeAI.Quantization.Onnx.Proto;

namespace EdgeAI.Quantization.Onnx;

/// <summary>
/// A node of an <see cref="OnnxGraph"/>: an operator, the tensors it reads and writes, and its attributes.
/// A view over the model: edits through it change the model. Two views of the same node are equal.
/// </summary>
/// <remarks>An empty input name marks an omitted optional input, as in ONNX.</remarks>
public sealed class OnnxNode : IEquatable<OnnxNode>
{
    private readonly OnnxGraph _graph;

    internal OnnxNode(NodeProto proto, OnnxGraph graph)
    {
        Proto = proto;
        _graph = graph;
    }

    /// <summary>The node name; may be empty in files written by other tools.</summary>
    public string Name
    {
        get => Proto.Name;
        set => Proto.Name = value ?? string.Empty;
    }

    /// <summary>The operator (e.g. <c>Conv</c>, <c>MatMul</c>, <c>QuantizeLinear</c>).</summary>
    public string OpType => Proto.OpType;

    /// <summary>The operator domain; empty for the default ONNX domain.</summary>
    public string Domain => Proto.Domain;

    /// <summary>Names of the tensors the node reads, in operator order.</summary>
    public IReadOnlyList<string> Inputs => Proto.Input;

    /// <summary>Names of the tensors the node writes, in operator order.</summary>
    public IReadOnlyList<string> Outputs => Proto.Output;

    /// <summary>The attributes, in file order.</summary>
    public IReadOnlyList<OnnxAttribute> Attributes =>
        [.. Proto.Attribute.Select(a => new OnnxAttribute(a, _graph.BaseDirectory, _graph.ModelPath))];

    /// <summary>A readable label for messages: the name, or the op type and first output when unnamed.</summary>
    public string Label => Proto.Name.Length > 0
        ? $"'{Proto.Name}' ({Proto.OpType})"
        : $"{Proto.OpType} -> '{(Proto.Output.Count > 0 ? Proto.Output[0] : "?")}'";

    internal NodeProto Proto { get; }

    /// <summary>The attribute named <paramref name="name"/>, or <see langword="null"/>.</summary>
    public OnnxAttribute? FindAttribute(string name)
    {
        var proto = Proto.Attribute.FirstOrDefault(a => a.Name == name);
        return proto is null ? null : new OnnxAttribute(proto, _graph.BaseDirectory, _graph.ModelPath);
    }

    /// <summary>Adds <paramref name="attribute"/>, replacing one of the same name.</summary>
    public void SetAttribute(OnnxAttribute attribute)
    {
        ArgumentNullException.ThrowIfNull(attribute);
        RemoveAttribute(attribute.Name);
        Proto.Attribute.Add(attribute.Proto.Clone());
    }

    /// <summary>Removes the attribute named <paramref name="name"/>.</summary>
    /// <returns>Whether there was one.</returns>
    public bool RemoveAttribute(string name)
    {
        var index = Proto.Attribute.ToList().FindIndex(a => a.Name == name);
        if (index < 0)
        {
            return false;
        }

        Proto.Attribute.RemoveAt(index);
        return true;
    }

    /// <summary>Makes input <paramref name="index"/> read <paramref name="tensorName"/> (empty for an omitted optional input).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not an existing input position.</exception>
    public void SetInput(int index, string tensorName)
    {
        ArgumentNullException.ThrowIfNull(tensorName);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Proto.Input.Count);
        Proto.Input[index] = tensorName;
    }

    /// <summary>Makes output <paramref name="index"/> write <paramref name="tensorName"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not an existing output position.</exception>
    public void SetOutput(int index, string tensorName)
    {
        ArgumentNullException.ThrowIfNull(tensorName);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Proto.Output.Count);
        Proto.Output[index] = tensorName;
    }

    /// <inheritdoc />
    public bool Equals(OnnxNode? other) => other is not null && ReferenceEquals(Proto, other.Proto);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as OnnxNode);

    /// <inheritdoc />
    public override int GetHashCode() => RuntimeHelpers.GetHashCode(Proto);

    /// <summary>The label, inputs and outputs.</summary>
    public override string ToString() => $"{Label}({string.Join(", ", Proto.Input)}) -> ({string.Join(", ", Proto.Output)})";
}

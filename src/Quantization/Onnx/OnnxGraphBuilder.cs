using EdgeAI.Quantization.Onnx.Proto;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeAI.Quantization.Onnx;

/// <summary>
/// Builds an ONNX model in code: graph inputs and outputs with element type and shape, initializers, nodes with
/// attributes and operator set imports. IR version 8 and, unless <see cref="Opset"/> is called, opset 17 of the
/// default domain.
/// </summary>
/// <example>
/// <code>
/// var model = new OnnxGraphBuilder("mlp")
///     .AddInput("x", TensorElementType.Float, "N", 4)
///     .AddInitializer(OnnxTensor.FromSingles("w", weights, 4, 3))
///     .AddNode("MatMul", ["x", "w"], ["y"])
///     .AddOutput("y", TensorElementType.Float, "N", 3)
///     .Build();
/// </code>
/// </example>
public sealed class OnnxGraphBuilder
{
    /// <summary>IR version written unless <see cref="IrVersion"/> is changed (ONNX 1.10+, loaded by every supported ONNX Runtime).</summary>
    public const long DefaultIrVersion = 8;

    /// <summary>Default-domain opset imported when <see cref="Opset"/> is never called.</summary>
    public const long DefaultOpset = 17;

    private readonly ModelProto _model;

    /// <summary>Starts an empty graph.</summary>
    /// <param name="graphName">The graph's name.</param>
    public OnnxGraphBuilder(string graphName = "main")
    {
        ArgumentNullException.ThrowIfNull(graphName);
        _model = new ModelProto
        {
            IrVersion = DefaultIrVersion,
            ProducerName = "EdgeAI.Quantization",
            Graph = new GraphProto { Name = graphName },
        };
    }

    /// <summary>The IR version to write (at least 3).</summary>
    public long IrVersion
    {
        get => _model.IrVersion;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 3);
            _model.IrVersion = value;
        }
    }

    /// <summary>Imports operator set <paramref name="version"/> of <paramref name="domain"/> (replacing an earlier import of it).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="version"/> is below 1.</exception>
    public OnnxGraphBuilder Opset(long version, string domain = OnnxModel.DefaultDomain)
    {
        ArgumentNullException.ThrowIfNull(domain);
        ArgumentOutOfRangeException.ThrowIfLessThan(version, 1);
        var key = OnnxModel.NormalizeDomain(domain);
        foreach (var existing in _model.OpsetImport.Where(o => OnnxModel.NormalizeDomain(o.Domain) == key).ToList())
        {
            _model.OpsetImport.Remove(existing);
        }

        _model.OpsetImport.Add(new OperatorSetIdProto { Domain = domain, Version = version });
        return this;
    }

    /// <summary>Declares a graph input.</summary>
    /// <param name="name">Tensor name.</param>
    /// <param name="elementType">Element type.</param>
    /// <param name="shape">Dimensions: sizes, symbolic names (<c>"N"</c>) or <see cref="OnnxDimension.Unknown"/>; none for a scalar.</param>
    /// <exception cref="ArgumentException">The name is empty or already declared.</exception>
    public OnnxGraphBuilder AddInput(string name, TensorElementType elementType, params OnnxDimension[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        new OnnxGraph(_model.Graph, null, null).AddInput(name, elementType, shape);
        return this;
    }

    /// <summary>Declares a graph output.</summary>
    /// <inheritdoc cref="AddInput" path="/param|/exception"/>
    public OnnxGraphBuilder AddOutput(string name, TensorElementType elementType, params OnnxDimension[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        new OnnxGraph(_model.Graph, null, null).AddOutput(name, elementType, shape);
        return this;
    }

    /// <summary>Adds a copy of <paramref name="tensor"/> as an initializer (see the <c>OnnxTensor.From…</c> factories).</summary>
    /// <exception cref="ArgumentException">An initializer of that name exists.</exception>
    public OnnxGraphBuilder AddInitializer(OnnxTensor tensor)
    {
        new OnnxGraph(_model.Graph, null, null).AddInitializer(tensor);
        return this;
    }

    /// <summary>Adds a FLOAT initializer.</summary>
    /// <exception cref="ArgumentException">The element count does not match <paramref name="dims"/>, or the name exists.</exception>
    public OnnxGraphBuilder AddInitializer(string name, ReadOnlySpan<float> data, params ReadOnlySpan<long> dims) =>
        AddInitializer(OnnxTensor.FromSingles(name, data, dims));

    /// <summary>Adds an INT64 initializer (shapes, axes).</summary>
    /// <exception cref="ArgumentException">The element count does not match <paramref name="dims"/>, or the name exists.</exception>
    public OnnxGraphBuilder AddInitializer(string name, ReadOnlySpan<long> data, params ReadOnlySpan<long> dims) =>
        AddInitializer(OnnxTensor.FromInt64s(name, data, dims));

    /// <summary>Adds an INT8 initializer.</summary>
    /// <exception cref="ArgumentException">The element count does not match <paramref name="dims"/>, or the name exists.</exception>
    public OnnxGraphBuilder AddInitializer(string name, ReadOnlySpan<sbyte> data, params ReadOnlySpan<long> dims) =>
        AddInitializer(OnnxTensor.FromInt8s(name, data, dims));

    /// <summary>Adds a UINT8 initializer.</summary>
    /// <exception cref="ArgumentException">The element count does not match <paramref name="dims"/>, or the name exists.</exception>
    public OnnxGraphBuilder AddInitializer(string name, ReadOnlySpan<byte> data, params ReadOnlySpan<long> dims) =>
        AddInitializer(OnnxTensor.FromUInt8s(name, data, dims));

    /// <summary>Appends a node.</summary>
    /// <param name="opType">Operator, e.g. <c>Conv</c>.</param>
    /// <param name="inputs">Input tensor names; empty string for an omitted optional input.</param>
    /// <param name="outputs">Output tensor names.</param>
    /// <param name="attributes">Attributes, e.g. <c>OnnxAttribute.Int("transB", 1)</c>.</param>
    /// <param name="name">Node name; generated from the op type and first output when <see langword="null"/>.</param>
    /// <param name="domain">Operator domain; empty for the default ONNX domain.</param>
    /// <exception cref="ArgumentException">The op type or an output name is empty, or an attribute is repeated.</exception>
    public OnnxGraphBuilder AddNode(string opType, IEnumerable<string> inputs, IEnumerable<string> outputs, IEnumerable<OnnxAttribute>? attributes = null, string? name = null, string domain = OnnxModel.DefaultDomain)
    {
        _model.Graph.Node.Add(OnnxGraph.CreateNode(opType, inputs, outputs, name, attributes, domain));
        return this;
    }

    /// <summary>Builds an independent model (the builder can go on being used).</summary>
    public OnnxModel Build()
    {
        var proto = _model.Clone();
        if (proto.OpsetImport.Count == 0)
        {
            proto.OpsetImport.Add(new OperatorSetIdProto { Domain = OnnxModel.DefaultDomain, Version = DefaultOpset });
        }

        return OnnxModel.FromProto(proto);
    }

    /// <summary>The built model as ONNX protobuf bytes.</summary>
    public byte[] ToBytes() => Build().Proto.ToByteArray();

    /// <summary>Writes the built model to <paramref name="path"/>.</summary>
    /// <inheritdoc cref="OnnxModel.Save" path="/exception"/>
    public void Save(string path, OnnxSaveOptions? options = null) => Build().Save(path, options);
}

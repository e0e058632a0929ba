using EdgeAI.Quantization.Onnx.Proto;
using Google.Protobuf;

namespace EdgeAI.Quantization.Onnx;

/// <summary>
/// An ONNX model held in memory for reading and editing: metadata, operator set imports and the main
/// <see cref="Graph"/>. Loading checks that the bytes are a protobuf model and that every initializer's data
/// matches its declared type and dims; <see cref="Validate"/> checks the graph's structure.
/// </summary>
/// <remarks>
/// Fields this library does not model (training info, functions, metadata, fields from newer ONNX versions)
/// are kept, so <see cref="ToBytes"/> after <see cref="Load(string, OnnxLoadOptions?)"/> gives back the same
/// bytes for a file written by a conforming protobuf encoder. Not thread-safe while being edited; a model
/// only read may be shared.
/// </remarks>
public sealed class OnnxModel
{
    /// <summary>The default operator set domain ("" and "ai.onnx" name the same domain).</summary>
    public const string DefaultDomain = "";

    private OnnxModel(ModelProto proto, string? modelPath, string? baseDirectory)
    {
        Proto = proto;
        ModelPath = modelPath;
        BaseDirectory = baseDirectory;
        Graph = new OnnxGraph(proto.Graph, baseDirectory, modelPath);
    }

    /// <summary>The file the model was loaded from, if any.</summary>
    public string? ModelPath { get; }

    /// <summary>The directory external tensor data is read from, if any.</summary>
    public string? BaseDirectory { get; }

    /// <summary>The main graph.</summary>
    public OnnxGraph Graph { get; }

    /// <summary>The ONNX IR version (8 for ONNX 1.10–1.12, 9 for 1.13–1.14, 10 for 1.15–1.16).</summary>
    public long IrVersion
    {
        get => Proto.IrVersion;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 3);
            Proto.IrVersion = value;
        }
    }

    /// <summary>The tool that wrote the model.</summary>
    public string ProducerName
    {
        get => Proto.ProducerName;
        set => Proto.ProducerName = value ?? string.Empty;
    }

    /// <summary>Operator set versions by domain ("" for the default ONNX domain).</summary>
    public IReadOnlyDictionary<string, long> Opsets =>
        Proto.OpsetImport.GroupBy(o => NormalizeDomain(o.Domain), StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Last().Version, StringComparer.Ordinal);

    internal ModelProto Proto { get; }

    /// <summary>Reads a model file. External tensor data is looked up next to it.</summary>
    /// <param name="path">The .onnx file.</param>
    /// <param name="options">Limits; defaults when <see langword="null"/>.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="OnnxFormatException">The file is too large, is not an ONNX protobuf, or a tensor's data does not match its declaration.</exception>
    public static OnnxModel Load(string path, OnnxLoadOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new OnnxLoadOptions();
        options.Validate();
        var full = Path.GetFullPath(path);
        var info = new FileInfo(full);
        if (!info.Exists)
        {
            throw new FileNotFoundException($"ONNX model '{full}' does not exist.", full);
        }

        if (info.Length > options.MaxModelBytes)
        {
            throw new OnnxFormatException($"ONNX model '{full}' is {info.Length} bytes; at most {options.MaxModelBytes} are accepted ({nameof(OnnxLoadOptions)}.{nameof(OnnxLoadOptions.MaxModelBytes)}).", full);
        }

        return Parse(File.ReadAllBytes(full), options, full, Path.GetDirectoryName(full));
    }

    /// <summary>Reads a model from a stream (to its end). External data is read from <see cref="OnnxLoadOptions.ExternalDataDirectory"/>.</summary>
    /// <exception cref="OnnxFormatException">The stream holds more than <see cref="OnnxLoadOptions.MaxModelBytes"/>, is not an ONNX protobuf, or a tensor is inconsistent.</exception>
    public static OnnxModel Load(Stream stream, OnnxLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        options ??= new OnnxLoadOptions();
        options.Validate();
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = stream.Read(chunk)) > 0)
        {
            if (buffer.Length + read > options.MaxModelBytes)
            {
                throw new OnnxFormatException($"ONNX model stream is longer than {options.MaxModelBytes} bytes ({nameof(OnnxLoadOptions)}.{nameof(OnnxLoadOptions.MaxModelBytes)}).");
            }

            buffer.Write(chunk, 0, read);
        }

        return Parse(buffer.ToArray(), options, null, options.ExternalDataDirectory);
    }

    /// <summary>Reads a model from bytes. External data is read from <see cref="OnnxLoadOptions.ExternalDataDirectory"/>.</summary>
    /// <exception cref="OnnxFormatException">The bytes are too many, not an ONNX protobuf, or a tensor is inconsistent.</exception>
    public static OnnxModel FromBytes(ReadOnlySpan<byte> bytes, OnnxLoadOptions? options = null)
    {
        options ??= new OnnxLoadOptions();
        options.Validate();
        if (bytes.Length > options.MaxModelBytes)
        {
            throw new OnnxFormatException($"ONNX model is {bytes.Length} bytes; at most {options.MaxModelBytes} are accepted ({nameof(OnnxLoadOptions)}.{nameof(OnnxLoadOptions.MaxModelBytes)}).");
        }

        return Parse(bytes.ToArray(), options, null, options.ExternalDataDirectory);
    }

    /// <summary>The operator set version imported for <paramref name="domain"/>, or <see langword="null"/>.</summary>
    public long? GetOpset(string domain = DefaultDomain) =>
        Opsets.TryGetValue(NormalizeDomain(domain), out var version) ? version : null;

    /// <summary>Imports operator set <paramref name="version"/> of <paramref name="domain"/>, replacing an earlier import of it.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="version"/> is below 1.</exception>
    public void SetOpset(string domain, long version)
    {
        ArgumentNullException.ThrowIfNull(domain);
        ArgumentOutOfRangeException.ThrowIfLessThan(version, 1);
        RemoveOpset(domain);
        Proto.OpsetImport.Add(new OperatorSetIdProto { Domain = domain, Version = version });
    }

    /// <summary>Removes the import of <paramref name="domain"/>.</summary>
    /// <returns>Whether there was one.</returns>
    public bool RemoveOpset(string domain)
    {
        var key = NormalizeDomain(domain);
        var removed = false;
        foreach (var opset in Proto.OpsetImport.Where(o => NormalizeDomain(o.Domain) == key).ToList())
        {
            removed |= Proto.OpsetImport.Remove(opset);
        }

        return removed;
    }

    /// <summary>The model as ONNX protobuf bytes. External data references are written as they are.</summary>
    public byte[] ToBytes() => Proto.ToByteArray();

    /// <summary>
    /// The model as protobuf bytes with any external initializer data read in, so the bytes can be handed to
    /// ONNX Runtime (or sent elsewhere) without the files next to the model.
    /// </summary>
    /// <exception cref="OnnxFormatException">External data cannot be read.</exception>
    public byte[] ToSelfContainedBytes()
    {
        if (!Proto.Graph.Initializer.Any(t => t.DataLocation == TensorProto.Types.DataLocation.External))
        {
            return ToBytes();
        }

        var copy = Proto.Clone();
        foreach (var tensor in copy.Graph.Initializer.Where(t => t.DataLocation == TensorProto.Types.DataLocation.External))
        {
            var bytes = OnnxTensorData.ReadRawBytes(tensor, BaseDirectory, ModelPath);
            tensor.ExternalData.Clear();
            tensor.ClearDataLocation();
            tensor.RawData = UnsafeByteOperations.UnsafeWrap(bytes);
        }

        return copy.ToByteArray();
    }

    /// <summary>A deep copy, reading external data from the same directory.</summary>
    public OnnxModel Clone() => new(Proto.Clone(), ModelPath, BaseDirectory);

    /// <summary>
    /// A copy whose graph also outputs the named tensors (e.g. intermediates, to read their values or shapes
    /// from ONNX Runtime). Types and shapes are declared where the graph knows them and left for ONNX Runtime
    /// to infer otherwise. Names that are already outputs are skipped.
    /// </summary>
    /// <exception cref="ArgumentException">A name is not a tensor of the graph.</exception>
    public OnnxModel WithOutputs(IEnumerable<string> tensorNames)
    {
        ArgumentNullException.ThrowIfNull(tensorNames);
        var copy = Clone();
        var known = copy.Graph.Proto.Node.SelectMany(n => n.Output)
            .Concat(copy.Graph.Proto.Input.Select(v => v.Name))
            .Concat(copy.Graph.Proto.Initializer.Select(t => t.Name))
            .ToHashSet(StringComparer.Ordinal);
        foreach (var name in tensorNames)
        {
            if (!known.Contains(name))
            {
                throw new ArgumentException($"Graph '{copy.Graph.Name}' has no tensor named '{name}' to expose as an output.", nameof(tensorNames));
            }

            if (copy.Graph.Proto.Output.Any(o => o.Name == name))
            {
                continue;
            }

            var info = copy.Graph.FindTensorInfo(name);
            copy.Graph.AddOutput(name, info?.ElementType, info?.Shape);
        }

        return copy;
    }

    /// <summary>
    /// Structural problems, each a sentence naming the node, tensor or field: missing ir_version or opset
    /// imports, duplicate initializer or output names, node inputs nothing produces, graph outputs nothing
    /// computes, and cycles. Empty when the model is well formed.
    /// </summary>
    public IReadOnlyList<string> FindProblems()
    {
        var problems = new List<string>();
        if (Proto.IrVersion < 3)
        {
            problems.Add($"ir_version is {Proto.IrVersion}; expected 3 or later (this library writes 8).");
        }

        var opsets = Opsets;
        if (!opsets.ContainsKey(DefaultDomain))
        {
            problems.Add("opset_import has no entry for the default ONNX domain (''); expected e.g. version 17.");
        }

        foreach (var node in Proto.Graph.Node)
        {
            var domain = NormalizeDomain(node.Domain);
            if (domain.Length > 0 && !opsets.ContainsKey(domain))
            {
                problems.Add($"Node {new OnnxNode(node, Graph).Label} uses domain '{node.Domain}', which opset_import does not import.");
            }
        }

        Graph.CollectProblems(problems);
        return problems.Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>Checks the model's structure (see <see cref="FindProblems"/>).</summary>
    /// <exception cref="OnnxFormatException">Listing every problem found.</exception>
    public void Validate()
    {
        var problems = FindProblems();
        if (problems.Count > 0)
        {
            var where = ModelPath is null ? "ONNX model" : $"ONNX model '{ModelPath}'";
            throw new OnnxFormatException($"{where} is not valid: {string.Join(" ", problems)}", ModelPath);
        }
    }

    /// <summary>
    /// Writes the model to <paramref name="path"/>, replacing the file atomically. With
    /// <see cref="OnnxSaveOptions.ExternalDataFile"/> set, initializers of at least the threshold size are
    /// written to that file next to the model; otherwise all data goes inside the model file.
    /// </summary>
    /// <exception cref="OnnxFormatException">External data of this model cannot be read.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public void Save(string path, OnnxSaveOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new OnnxSaveOptions();
        options.Validate();
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full) ?? throw new ArgumentException($"'{path}' has no directory part.", nameof(path));

        var copy = Proto.Clone();
        var external = new List<(TensorProto Tensor, byte[] Bytes)>();
        foreach (var tensor in copy.Graph.Initializer)
        {
            var isExternal = tensor.DataLocation == TensorProto.Types.DataLocation.External;
            if (!isExternal && (options.ExternalDataFile is null || tensor.DataType == (int)TensorProto.Types.DataType.String))
            {
                continue;
            }

            // Read everything before writing anything: the target may be the file the data comes from.
            var bytes = OnnxTensorData.ReadRawBytes(tensor, BaseDirectory, ModelPath);
            if (options.ExternalDataFile is not null && bytes.Length >= options.ExternalDataThreshold)
            {
                external.Add((tensor, bytes));
            }
            else if (isExternal)
            {
                tensor.ExternalData.Clear();
                tensor.ClearDataLocation();
                tensor.RawData = UnsafeByteOperations.UnsafeWrap(bytes);
            }
        }

        if (options.ExternalDataFile is not null && external.Count > 0)
        {
            var dataPath = OnnxExternalData.ResolveConfined(directory, options.ExternalDataFile, external[0].Tensor.Name, full);
            WriteAtomically(dataPath, stream =>
            {
                foreach (var (tensor, bytes) in external)
                {
                    // Align each tensor so a runtime may map the file.
                    var padding = (int)((64 - (stream.Position % 64)) % 64);
                    stream.Write(new byte[padding]);
                    OnnxExternalData.SetExternal(tensor, options.ExternalDataFile, stream.Position, bytes.Length);
                    stream.Write(bytes);
                }
            });
        }

        WriteAtomically(full, copy.WriteTo);

        if (external.Count > 0 && BaseDirectory is not null
            && string.Equals(Path.GetFullPath(BaseDirectory), directory, StringComparison.Ordinal))
        {
            // The data file just replaced may be the one this model reads from: point this model at the new layout.
            for (var i = 0; i < Proto.Graph.Initializer.Count; i++)
            {
                CopyStorage(copy.Graph.Initializer[i], Proto.Graph.Initializer[i]);
            }
        }
    }

    /// <summary>A short description: IR version, opsets and graph size.</summary>
    public override string ToString() =>
        $"ONNX IR {IrVersion}, opsets [{string.Join(", ", Opsets.Select(o => $"{(o.Key.Length == 0 ? "ai.onnx" : o.Key)}:{o.Value}"))}], {Proto.Graph.Node.Count} nodes, {Proto.Graph.Initializer.Count} initializers";

    internal static OnnxModel FromProto(ModelProto proto) => new(proto, null, null);

    internal static string NormalizeDomain(string domain) => domain == "ai.onnx" ? DefaultDomain : domain;

    private static OnnxModel Parse(byte[] bytes, OnnxLoadOptions options, string? path, string? baseDirectory)
    {
        var where = path is null ? "ONNX model" : $"ONNX model '{path}'";
        ModelProto proto;
        try
        {
            using var stream = new MemoryStream(bytes, writable: false);
            using var input = CodedInputStream.CreateWithLimits(stream, Math.Max(bytes.Length, 1), options.RecursionLimit);
            proto = ModelProto.Parser.ParseFrom(input);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new OnnxFormatException($"{where} is not a valid ONNX protobuf ({bytes.Length} bytes): {ex.Message}", path, ex);
        }

        if (proto.Graph is null)
        {
            throw new OnnxFormatException($"{where} has no graph (ModelProto field 7); expected an ONNX model, got {bytes.Length} bytes of something else.", path);
        }

        if (!proto.HasIrVersion || proto.IrVersion < 3)
        {
            throw new OnnxFormatException($"{where} has ir_version {(proto.HasIrVersion ? proto.IrVersion : "missing")}; expected 3 or later.", path);
        }

        CheckGraph(proto.Graph, baseDirectory, path, where);
        return new OnnxModel(proto, path, baseDirectory);
    }

    /// <summary>Checks every tensor of a graph and of its subgraphs (If/Loop/Scan bodies) against its declaration.</summary>
    private static void CheckGraph(GraphProto graph, string? baseDirectory, string? path, string where)
    {
        foreach (var tensor in graph.Initializer)
        {
            if (tensor.Name.Length == 0)
            {
                throw new OnnxFormatException($"{where}, graph '{graph.Name}', has an initializer without a name; every initializer must name the tensor it defines.", path);
            }

            OnnxTensorData.Check(tensor, baseDirectory, path);
        }

        foreach (var node in graph.Node)
        {
            foreach (var attribute in node.Attribute)
            {
                try
                {
                    if (attribute.T is not null)
                    {
                        OnnxTensorData.Check(attribute.T, baseDirectory, path);
                    }

                    foreach (var tensor in attribute.Tensors)
                    {
                        OnnxTensorData.Check(tensor, baseDirectory, path);
                    }
                }
                catch (OnnxFormatException ex)
                {
                    throw new OnnxFormatException($"Node '{node.Name}' ({node.OpType}), attribute '{attribute.Name}': {ex.Message}", path, ex);
                }

                // Nesting depth is bounded by the parser's recursion limit.
                if (attribute.G is not null)
                {
                    CheckGraph(attribute.G, baseDirectory, path, where);
                }

                foreach (var subgraph in attribute.Graphs)
                {
                    CheckGraph(subgraph, baseDirectory, path, where);
                }
            }
        }
    }

    private static void CopyStorage(TensorProto from, TensorProto to)
    {
        to.ClearRawData();
        if (from.HasRawData)
        {
            to.RawData = from.RawData;
        }

        to.ExternalData.Clear();
        to.ExternalData.AddRange(from.ExternalData.Select(e => e.Clone()));
        to.ClearDataLocation();
        if (from.HasDataLocation)
        {
            to.DataLocation = from.DataLocation;
        }

        to.FloatData.Clear();
        to.FloatData.AddRange(from.FloatData);
        to.Int32Data.Clear();
        to.Int32Data.AddRange(from.Int32Data);
        to.Int64Data.Clear();
        to.Int64Data.AddRange(from.Int64Data);
        to.DoubleData.Clear();
        to.DoubleData.AddRange(from.DoubleData);
        to.Uint64Data.Clear();
        to.Uint64Data.AddRange(from.Uint64Data);
    }

    private static void WriteAtomically(string path, Action<Stream> write)
    {
        var temp = path + ".tmp-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }
}

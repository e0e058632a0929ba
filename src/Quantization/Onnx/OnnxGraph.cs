using EdgeAI.Quantization.Onnx.Proto;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeAI.Quantization.Onnx;

/// <summary>
/// The main graph of an <see cref="OnnxModel"/>: nodes, graph inputs and outputs, initializers and declared
/// tensor types, with look-ups and edits. Views returned here (<see cref="OnnxNode"/>, <see cref="OnnxTensor"/>)
/// stay tied to the model.
/// </summary>
/// <remarks>
/// Look-ups scan the graph (linear in its size); passes that query every tensor should build their own
/// index from <see cref="Nodes"/>. Not thread-safe while being edited. Subgraph (If/Loop body) nodes are not
/// listed in <see cref="Nodes"/>, but their reads from the outer scope count in <see cref="FindConsumers"/> and
/// <see cref="GetTopologicalOrder"/>, and <see cref="RenameTensor"/> renames inside them too.
/// </remarks>
public sealed class OnnxGraph
{
    private const int MaxNamesInMessage = 10;

    internal OnnxGraph(GraphProto proto, string? baseDirectory, string? modelPath)
    {
        Proto = proto;
        BaseDirectory = baseDirectory;
        ModelPath = modelPath;
    }

    /// <summary>The graph name.</summary>
    public string Name
    {
        get => Proto.Name;
        set => Proto.Name = value ?? string.Empty;
    }

    /// <summary>The nodes in file order (not necessarily topological; see <see cref="GetTopologicalOrder"/>).</summary>
    public IReadOnlyList<OnnxNode> Nodes => [.. Proto.Node.Select(n => new OnnxNode(n, this))];

    /// <summary>The graph inputs as declared (older files also list initializers here).</summary>
    public IReadOnlyList<OnnxTensorInfo> Inputs => [.. Proto.Input.Select(OnnxTensorInfo.FromValueInfo)];

    /// <summary>The graph outputs as declared.</summary>
    public IReadOnlyList<OnnxTensorInfo> Outputs => [.. Proto.Output.Select(OnnxTensorInfo.FromValueInfo)];

    /// <summary>The initializers (constant tensors: weights, biases, shapes).</summary>
    public IReadOnlyList<OnnxTensor> Initializers => [.. Proto.Initializer.Select(WrapTensor)];

    internal GraphProto Proto { get; }

    internal string? BaseDirectory { get; }

    internal string? ModelPath { get; }

    /// <summary>The initializer named <paramref name="name"/>, or <see langword="null"/>.</summary>
    public OnnxTensor? FindInitializer(string name)
    {
        var proto = Proto.Initializer.FirstOrDefault(t => t.Name == name);
        return proto is null ? null : WrapTensor(proto);
    }

    /// <summary>The node that writes tensor <paramref name="tensorName"/>, or <see langword="null"/> for graph inputs, initializers and unknown names.</summary>
    public OnnxNode? FindProducer(string tensorName)
    {
        ArgumentNullException.ThrowIfNull(tensorName);
        if (tensorName.Length == 0)
        {
            return null;
        }

        var proto = Proto.Node.FirstOrDefault(n => n.Output.Contains(tensorName));
        return proto is null ? null : new OnnxNode(proto, this);
    }

    /// <summary>
    /// The nodes that read tensor <paramref name="tensorName"/>, in file order, each once; a node whose subgraph
    /// (If/Loop body) reads it from the outer scope counts as reading it.
    /// </summary>
    public IReadOnlyList<OnnxNode> FindConsumers(string tensorName)
    {
        ArgumentNullException.ThrowIfNull(tensorName);
        if (tensorName.Length == 0)
        {
            return [];
        }

        return [.. Proto.Node.Where(n => AllInputs(n).Contains(tensorName)).Select(n => new OnnxNode(n, this))];
    }

    /// <summary>
    /// What the graph declares about a tensor: from graph inputs, outputs and value_info (in that order), else
    /// from an initializer or a Constant node's value. <see langword="null"/> when nothing is declared; ask
    /// ONNX Runtime for intermediates then (expose them with <see cref="OnnxModel.WithOutputs"/>).
    /// </summary>
    public OnnxTensorInfo? FindTensorInfo(string tensorName)
    {
        ArgumentNullException.ThrowIfNull(tensorName);
        var declared = Proto.Input.Concat(Proto.Output).Concat(Proto.ValueInfo)
            .FirstOrDefault(v => v.Name == tensorName && v.Type?.ValueCase == TypeProto.ValueOneofCase.TensorType);
        if (declared is not null)
        {
            return OnnxTensorInfo.FromValueInfo(declared);
        }

        var initializer = Proto.Initializer.FirstOrDefault(t => t.Name == tensorName);
        if (initializer is not null)
        {
            return OnnxTensorInfo.FromTensor(initializer);
        }

        var constant = Proto.Node.FirstOrDefault(n => n.OpType == "Constant" && n.Domain.Length == 0 && n.Output.Contains(tensorName));
        var value = constant?.Attribute.FirstOrDefault(a => a.Name == "value" && a.T is not null);
        if (value is not null)
        {
            return OnnxTensorInfo.FromTensor(value.T, tensorName);
        }

        return null;
    }

    /// <summary>
    /// The nodes in an order where every node comes after the producers of its inputs. Ties keep file order,
    /// so an already sorted graph comes back unchanged.
    /// </summary>
    /// <exception cref="OnnxFormatException">The graph has a cycle; the message names the nodes on it.</exception>
    public IReadOnlyList<OnnxNode> GetTopologicalOrder()
    {
        var (order, stuck) = Sort();
        if (stuck.Count > 0)
        {
            throw new OnnxFormatException(CycleMessage(stuck), ModelPath);
        }

        return [.. order.Select(i => new OnnxNode(Proto.Node[i], this))];
    }

    /// <summary>Reorders the nodes in the file topologically, as the ONNX spec asks of a saved graph.</summary>
    /// <exception cref="OnnxFormatException">The graph has a cycle; nothing is changed.</exception>
    public void SortTopologically()
    {
        var sorted = GetTopologicalOrder().Select(n => n.Proto).ToList();
        Proto.Node.Clear();
        Proto.Node.AddRange(sorted);
    }

    /// <summary>Appends a node.</summary>
    /// <inheritdoc cref="InsertNode" path="/param|/returns|/exception"/>
    public OnnxNode AddNode(string opType, IEnumerable<string> inputs, IEnumerable<string> outputs, string? name = null, IEnumerable<OnnxAttribute>? attributes = null, string domain = "") =>
        InsertNode(Proto.Node.Count, opType, inputs, outputs, name, attributes, domain);

    /// <summary>Inserts a node at position <paramref name="index"/> of the node list.</summary>
    /// <param name="index">Position from 0 to <see cref="Nodes"/>.Count.</param>
    /// <param name="opType">Operator, e.g. <c>QuantizeLinear</c>.</param>
    /// <param name="inputs">Input tensor names; empty string for an omitted optional input.</param>
    /// <param name="outputs">Output tensor names.</param>
    /// <param name="name">Node name; unique names help error messages. Generated from the op type and first output when <see langword="null"/>.</param>
    /// <param name="attributes">Attributes (copied).</param>
    /// <param name="domain">Operator domain; empty for the default ONNX domain.</param>
    /// <returns>The new node.</returns>
    /// <exception cref="ArgumentException"><paramref name="opType"/> is empty or an output name is empty.</exception>
    public OnnxNode InsertNode(int index, string opType, IEnumerable<string> inputs, IEnumerable<string> outputs, string? name = null, IEnumerable<OnnxAttribute>? attributes = null, string domain = "")
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(index, Proto.Node.Count);
        var proto = CreateNode(opType, inputs, outputs, name, attributes, domain);
        Proto.Node.Insert(index, proto);
        return new OnnxNode(proto, this);
    }

    /// <summary>Removes a node. Tensors it wrote are left without a producer until something else writes them.</summary>
    /// <exception cref="ArgumentException">The node is not in this graph.</exception>
    public void RemoveNode(OnnxNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (!Proto.Node.Remove(node.Proto))
        {
            throw new ArgumentException($"Node {node.Label} is not in graph '{Name}'.", nameof(node));
        }
    }

    /// <summary>
    /// Renames a tensor everywhere it is named: node inputs and outputs, graph inputs and outputs, value_info,
    /// initializers and quantization annotations.
    /// </summary>
    /// <returns>How many references were renamed (0 when the graph does not name <paramref name="oldName"/>).</returns>
    /// <exception cref="ArgumentException"><paramref name="newName"/> is empty or already names a tensor.</exception>
    public int RenameTensor(string oldName, string newName)
    {
        ArgumentException.ThrowIfNullOrEmpty(oldName);
        ArgumentException.ThrowIfNullOrEmpty(newName);
        if (oldName == newName)
        {
            return 0;
        }

        if (TensorNames().Contains(newName))
        {
            throw new ArgumentException($"Cannot rename '{oldName}' to '{newName}': graph '{Name}' already has a tensor named '{newName}'.", nameof(newName));
        }

        // ONNX names are unique across a graph and its subgraphs, so a subgraph that names oldName means the outer tensor.
        return Rename(Proto, oldName, newName);
    }

    /// <summary>Adds a copy of <paramref name="tensor"/> as an initializer.</summary>
    /// <returns>A view of the added initializer.</returns>
    /// <exception cref="ArgumentException">An initializer of that name exists.</exception>
    /// <exception cref="OnnxFormatException">The tensor's data does not match its declaration.</exception>
    public OnnxTensor AddInitializer(OnnxTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (Proto.Initializer.Any(t => t.Name == tensor.Name))
        {
            throw new ArgumentException($"Graph '{Name}' already has an initializer named '{tensor.Name}'.", nameof(tensor));
        }

        var proto = tensor.Proto.Clone();
        if (proto.DataLocation == TensorProto.Types.DataLocation.External)
        {
            // The file it points at belongs to another model's directory: bring the bytes in.
            var bytes = tensor.ToRawBytes();
            proto.ExternalData.Clear();
            proto.ClearDataLocation();
            proto.RawData = Google.Protobuf.ByteString.CopyFrom(bytes);
        }

        OnnxTensorData.Check(proto, null, ModelPath);
        Proto.Initializer.Add(proto);
        return WrapTensor(proto);
    }

    /// <summary>Removes the initializer named <paramref name="name"/> (and a graph input of that name, as older IR versions list one).</summary>
    /// <returns>Whether there was one.</returns>
    public bool RemoveInitializer(string name)
    {
        var tensor = Proto.Initializer.FirstOrDefault(t => t.Name == name);
        if (tensor is null)
        {
            return false;
        }

        Proto.Initializer.Remove(tensor);
        var input = Proto.Input.FirstOrDefault(v => v.Name == name);
        if (input is not null)
        {
            Proto.Input.Remove(input);
        }

        return true;
    }

    /// <summary>Declares a graph input.</summary>
    /// <param name="name">Tensor name.</param>
    /// <param name="elementType">Element type.</param>
    /// <param name="shape">Dimensions: fixed sizes, symbolic names or <see cref="OnnxDimension.Unknown"/>; <see langword="null"/> for unknown rank.</param>
    /// <exception cref="ArgumentException">A graph input of that name exists.</exception>
    public void AddInput(string name, TensorElementType elementType, IEnumerable<OnnxDimension>? shape)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (Proto.Input.Any(v => v.Name == name))
        {
            throw new ArgumentException($"Graph '{Name}' already has an input named '{name}'.", nameof(name));
        }

        Proto.Input.Add(OnnxTensorInfo.ToValueInfo(name, elementType, shape));
    }

    /// <summary>Declares a graph output. Type and shape may be left unknown for ONNX Runtime to infer.</summary>
    /// <param name="name">Name of a tensor the graph computes.</param>
    /// <param name="elementType">Element type, or <see langword="null"/> if not known (the shape is then not recorded either).</param>
    /// <param name="shape">Dimensions, or <see langword="null"/> if not known.</param>
    /// <exception cref="ArgumentException">A graph output of that name exists.</exception>
    public void AddOutput(string name, TensorElementType? elementType = null, IEnumerable<OnnxDimension>? shape = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (Proto.Output.Any(v => v.Name == name))
        {
            throw new ArgumentException($"Graph '{Name}' already has an output named '{name}'.", nameof(name));
        }

        Proto.Output.Add(OnnxTensorInfo.ToValueInfo(name, elementType, shape));
    }

    /// <summary>Removes the graph output named <paramref name="name"/>.</summary>
    /// <returns>Whether there was one.</returns>
    public bool RemoveOutput(string name)
    {
        var output = Proto.Output.FirstOrDefault(v => v.Name == name);
        return output is not null && Proto.Output.Remove(output);
    }

    internal static NodeProto CreateNode(string opType, IEnumerable<string> inputs, IEnumerable<string> outputs, string? name, IEnumerable<OnnxAttribute>? attributes, string domain)
    {
        ArgumentException.ThrowIfNullOrEmpty(opType);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(domain);
        var proto = new NodeProto { OpType = opType };
        if (domain.Length > 0)
        {
            proto.Domain = domain;
        }

        foreach (var input in inputs)
        {
            ArgumentNullException.ThrowIfNull(input, nameof(inputs));
            proto.Input.Add(input);
        }

        foreach (var output in outputs)
        {
            ArgumentException.ThrowIfNullOrEmpty(output, nameof(outputs));
            proto.Output.Add(output);
        }

        proto.Name = name ?? (proto.Output.Count > 0 ? $"{opType}_{proto.Output[0]}" : opType);
        foreach (var attribute in attributes ?? [])
        {
            ArgumentNullException.ThrowIfNull(attribute, nameof(attributes));
            if (proto.Attribute.Any(a => a.Name == attribute.Name))
            {
                throw new ArgumentException($"Node '{proto.Name}' ({opType}) is given attribute '{attribute.Name}' twice.", nameof(attributes));
            }

            proto.Attribute.Add(attribute.Proto.Clone());
        }

        return proto;
    }

    /// <summary>Appends the graph's structural problems to <paramref name="problems"/>.</summary>
    internal void CollectProblems(List<string> problems)
    {
        var graphLabel = $"Graph '{Proto.Name}'";
        AddDuplicates(problems, Proto.Initializer.Select(t => t.Name), name => $"{graphLabel} has more than one initializer named '{name}'.");
        AddDuplicates(problems, Proto.Input.Select(v => v.Name), name => $"{graphLabel} declares input '{name}' more than once.");
        AddDuplicates(problems, Proto.Output.Select(v => v.Name), name => $"{graphLabel} declares output '{name}' more than once.");

        var available = new HashSet<string>(Proto.Input.Select(v => v.Name), StringComparer.Ordinal);
        available.UnionWith(Proto.Initializer.Select(t => t.Name));
        available.UnionWith(Proto.SparseInitializer.Where(s => s.Values is not null).Select(s => s.Values.Name));
        var producers = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        foreach (var node in Proto.Node)
        {
            var label = new OnnxNode(node, this).Label;
            if (node.OpType.Length == 0)
            {
                problems.Add($"Node {label} has no op_type.");
            }

            foreach (var output in node.Output.Where(o => o.Length > 0))
            {
                if (producers.TryGetValue(output, out var first))
                {
                    problems.Add($"Tensor '{output}' is an output of both node {new OnnxNode(first, this).Label} and node {label}; expected one producer.");
                }
                else if (available.Contains(output))
                {
                    problems.Add($"Node {label} writes '{output}', which is already a graph input or initializer; expected a new name.");
                    producers[output] = node;
                }
                else
                {
                    producers[output] = node;
                }
            }
        }

        foreach (var node in Proto.Node)
        {
            foreach (var input in node.Input.Where(i => i.Length > 0 && !available.Contains(i) && !producers.ContainsKey(i)).Distinct())
            {
                problems.Add($"Node {new OnnxNode(node, this).Label} reads '{input}', which no node produces and is neither a graph input nor an initializer.");
            }
        }

        foreach (var output in Proto.Output.Where(o => !available.Contains(o.Name) && !producers.ContainsKey(o.Name)))
        {
            problems.Add($"{graphLabel} output '{output.Name}' is not produced by any node, input or initializer.");
        }

        var (_, stuck) = Sort();
        if (stuck.Count > 0)
        {
            problems.Add(CycleMessage(stuck));
        }
    }

    private OnnxTensor WrapTensor(TensorProto proto) => new(proto, BaseDirectory, ModelPath);

    private HashSet<string> TensorNames()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        AddNames(Proto, names);
        names.Remove(string.Empty);
        return names;
    }

    private static void AddNames(GraphProto graph, HashSet<string> names)
    {
        names.UnionWith(graph.Input.Select(v => v.Name));
        names.UnionWith(graph.Output.Select(v => v.Name));
        names.UnionWith(graph.ValueInfo.Select(v => v.Name));
        names.UnionWith(graph.Initializer.Select(t => t.Name));
        foreach (var node in graph.Node)
        {
            names.UnionWith(node.Input);
            names.UnionWith(node.Output);
            foreach (var subgraph in DirectSubgraphs(node))
            {
                AddNames(subgraph, names);
            }
        }
    }

    /// <summary>Kahn's algorithm: node indices in order, and the indices that never became ready (on or behind a cycle).</summary>
    private (List<int> Order, List<int> Stuck) Sort()
    {
        var nodes = Proto.Node;
        var producer = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < nodes.Count; i++)
        {
            foreach (var output in nodes[i].Output.Where(o => o.Length > 0))
            {
                producer.TryAdd(output, i);
            }
        }

        var pending = new int[nodes.Count];
        var successors = new List<int>[nodes.Count];
        for (var i = 0; i < nodes.Count; i++)
        {
            successors[i] = [];
        }

        for (var i = 0; i < nodes.Count; i++)
        {
            foreach (var input in AllInputs(nodes[i]))
            {
                if (input.Length > 0 && producer.TryGetValue(input, out var p))
                {
                    pending[i]++;
                    successors[p].Add(i);
                }
            }
        }

        // Smallest file index first, so a sorted graph keeps its order.
        var ready = new PriorityQueue<int, int>();
        for (var i = 0; i < nodes.Count; i++)
        {
            if (pending[i] == 0)
            {
                ready.Enqueue(i, i);
            }
        }

        var order = new List<int>(nodes.Count);
        while (ready.TryDequeue(out var i, out _))
        {
            order.Add(i);
            foreach (var s in successors[i])
            {
                if (--pending[s] == 0)
                {
                    ready.Enqueue(s, s);
                }
            }
        }

        var stuck = Enumerable.Range(0, nodes.Count).Where(i => pending[i] > 0).ToList();
        return (order, stuck);
    }

    private string CycleMessage(List<int> stuck)
    {
        // Drop the nodes that are only downstream of a cycle (no stuck successor) until only cycle members remain.
        var remaining = new HashSet<int>(stuck);
        var outputs = stuck.ToDictionary(i => i, i => Proto.Node[i].Output.Where(o => o.Length > 0).ToHashSet(StringComparer.Ordinal));
        bool pruned;
        do
        {
            pruned = false;
            foreach (var i in remaining.ToList())
            {
                var feedsStuck = remaining.Any(j => Proto.Node[j].Input.Any(outputs[i].Contains));
                if (!feedsStuck)
                {
                    remaining.Remove(i);
                    pruned = true;
                }
            }
        }
        while (pruned);

        var members = remaining.Count > 0 ? remaining.Order().ToList() : stuck;
        var labels = members.Take(MaxNamesInMessage).Select(i => new OnnxNode(Proto.Node[i], this).Label);
        var more = members.Count > MaxNamesInMessage ? $" and {members.Count - MaxNamesInMessage} more" : string.Empty;
        return $"Graph '{Proto.Name}' has a cycle through nodes {string.Join(", ", labels)}{more}: each depends on its own output; expected an acyclic graph.";
    }

    private static int Rename(GraphProto graph, string oldName, string newName)
    {
        var count = 0;
        foreach (var node in graph.Node)
        {
            count += Replace(node.Input, oldName, newName) + Replace(node.Output, oldName, newName);
            foreach (var subgraph in DirectSubgraphs(node))
            {
                count += Rename(subgraph, oldName, newName);
            }
        }

        foreach (var info in graph.Input.Concat(graph.Output).Concat(graph.ValueInfo).Where(v => v.Name == oldName))
        {
            info.Name = newName;
            count++;
        }

        foreach (var tensor in graph.Initializer.Where(t => t.Name == oldName))
        {
            tensor.Name = newName;
            count++;
        }

        foreach (var annotation in graph.QuantizationAnnotation.Where(a => a.TensorName == oldName))
        {
            annotation.TensorName = newName;
            count++;
        }

        return count;
    }

    private static IEnumerable<GraphProto> DirectSubgraphs(NodeProto node) =>
        node.Attribute.SelectMany(a => a.G is null ? a.Graphs : a.Graphs.Prepend(a.G));

    /// <summary>The node's explicit inputs, then every input read by nodes of its subgraphs, at any depth.</summary>
    private static IEnumerable<string> AllInputs(NodeProto node) =>
        node.Input.Concat(DirectSubgraphs(node).SelectMany(g => g.Node.SelectMany(AllInputs)));

    private static void AddDuplicates(List<string> problems, IEnumerable<string> names, Func<string, string> message)
    {
        foreach (var group in names.GroupBy(n => n, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            problems.Add(message(group.Key));
        }
    }

    private static int Replace(Google.Protobuf.Collections.RepeatedField<string> names, string oldName, string newName)
    {
        var count = 0;
        for (var i = 0; i < names.Count; i++)
        {
            if (names[i] == oldName)
            {
                names[i] = newName;
                count++;
            }
        }

        return count;
    }
}

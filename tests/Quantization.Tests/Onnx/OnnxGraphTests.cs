using EdgeAI.Quantization.Onnx;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeAI.Quantization.Tests.Onnx;

public sealed class OnnxGraphTests
{
    [Fact]
    public void Producer_and_consumers_are_found_by_tensor_name()
    {
        var graph = Diamond().Graph;

        Assert.Equal("left", graph.FindProducer("l")!.Name);
        Assert.Null(graph.FindProducer("x"));
        Assert.Null(graph.FindProducer("nowhere"));
        Assert.Equal(["left", "right"], graph.FindConsumers("x").Select(n => n.Name));
        Assert.Equal(["join"], graph.FindConsumers("l").Select(n => n.Name));
        Assert.Empty(graph.FindConsumers("y"));
        Assert.Equal(graph.FindProducer("y"), graph.Nodes[^1]);
    }

    [Fact]
    public void Topological_order_puts_producers_first_and_keeps_sorted_graphs_unchanged()
    {
        var model = Diamond();
        Assert.Equal(["left", "right", "join"], model.Graph.GetTopologicalOrder().Select(n => n.Name));

        // Reverse the file order: the order must still respect every edge.
        var nodes = model.Graph.Proto.Node.Reverse().ToList();
        model.Graph.Proto.Node.Clear();
        model.Graph.Proto.Node.AddRange(nodes);
        Assert.Equal(["right", "left", "join"], model.Graph.GetTopologicalOrder().Select(n => n.Name));

        model.Graph.SortTopologically();
        Assert.Equal(["right", "left", "join"], model.Graph.Nodes.Select(n => n.Name));
    }

    [Fact]
    public void Tensor_info_comes_from_inputs_outputs_value_info_initializers_and_constants()
    {
        var model = new OnnxGraphBuilder()
            .AddInput("x", TensorElementType.Float, "N", 3)
            .AddInitializer("w", [1L, 2L], 2)
            .AddNode("Constant", [], ["c"], [OnnxAttribute.Tensor("value", OnnxTensor.FromInt8s("cv", [1, 2, 3, 4, 5, 6], 2, 3))])
            .AddNode("Relu", ["x"], ["r"])
            .AddNode("Identity", ["r"], ["y"])
            .AddOutput("y", TensorElementType.Float, OnnxDimension.Unknown, 3)
            .Build();

        var x = model.Graph.FindTensorInfo("x")!;
        Assert.Equal(TensorElementType.Float, x.ElementType);
        Assert.Equal(["N", "3"], x.Shape!.Select(d => d.ToString()));
        Assert.True(x.Shape![0].IsDynamic);
        Assert.Equal("N", x.Shape![0].Parameter);

        Assert.Equal(["?", "3"], model.Graph.FindTensorInfo("y")!.Shape!.Select(d => d.ToString()));

        var w = model.Graph.FindTensorInfo("w")!;
        Assert.Equal(TensorElementType.Int64, w.ElementType);
        Assert.Equal([2L], w.Shape!.Select(d => d.Value!.Value));

        var c = model.Graph.FindTensorInfo("c")!;
        Assert.Equal("c: Int8[2, 3]", c.ToString());

        Assert.Null(model.Graph.FindTensorInfo("r"));
        model.Graph.Proto.ValueInfo.Add(EdgeAI.Quantization.Onnx.OnnxTensorInfo.ToValueInfo("r", TensorElementType.Float, ["N", 3]));
        Assert.Equal(TensorElementType.Float, model.Graph.FindTensorInfo("r")!.ElementType);
    }

    [Fact]
    public void Nodes_can_be_inserted_removed_and_rewired()
    {
        var model = TestModels.Mlp().Build();
        var graph = model.Graph;

        // Put a Neg between Add and Relu: add -> pre -> neg -> negated -> relu.
        var neg = graph.InsertNode(2, "Neg", ["pre"], ["negated"], name: "neg");
        graph.FindProducer("y")!.SetInput(0, "negated");
        Assert.Equal(["matmul", "add", "neg", "relu"], graph.Nodes.Select(n => n.Name));
        Assert.Equal(graph.FindConsumers("negated").Single(), graph.Nodes[3]);
        Assert.Empty(model.FindProblems());

        graph.RemoveNode(neg);
        Assert.Equal(["matmul", "add", "relu"], graph.Nodes.Select(n => n.Name));
        var problem = Assert.Single(model.FindProblems());
        Assert.Contains("'relu' (Relu) reads 'negated'", problem, StringComparison.Ordinal);

        Assert.Throws<ArgumentException>(() => graph.RemoveNode(neg));
    }

    [Fact]
    public void Renaming_reaches_every_reference_and_refuses_existing_names()
    {
        var model = TestModels.Mlp().Build();
        model.Graph.Proto.ValueInfo.Add(OnnxTensorInfo.ToValueInfo("mm", TensorElementType.Float, null));

        Assert.Equal(2, model.Graph.RenameTensor("W", "weight"));
        Assert.Equal(3, model.Graph.RenameTensor("mm", "product"));
        Assert.NotNull(model.Graph.FindInitializer("weight"));
        Assert.Equal(["x", "weight"], model.Graph.FindProducer("product")!.Inputs);
        Assert.Equal(TensorElementType.Float, model.Graph.FindTensorInfo("product")!.ElementType);
        Assert.Empty(model.FindProblems());

        var ex = Assert.Throws<ArgumentException>(() => model.Graph.RenameTensor("b", "x"));
        Assert.Contains("already has a tensor named 'x'", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, model.Graph.RenameTensor("absent", "new"));
    }

    [Fact]
    public void Initializers_are_added_and_removed()
    {
        var model = TestModels.Mlp().Build();
        var added = model.Graph.AddInitializer(OnnxTensor.FromSingles("scale", [0.5f]));
        Assert.Equal("scale", added.Name);
        Assert.Equal([0.5f], model.Graph.FindInitializer("scale")!.ToSingleArray());
        Assert.Throws<ArgumentException>(() => model.Graph.AddInitializer(OnnxTensor.FromSingles("scale", [1f])));
        Assert.True(model.Graph.RemoveInitializer("scale"));
        Assert.False(model.Graph.RemoveInitializer("scale"));
    }

    [Fact]
    public void Node_attributes_are_read_by_kind()
    {
        var model = new OnnxGraphBuilder()
            .AddInput("x", TensorElementType.Float, 1, 1, 4, 4)
            .AddInitializer("w", new float[9], 1, 1, 3, 3)
            .AddNode("Conv", ["x", "w"], ["y"], [OnnxAttribute.Ints("kernel_shape", 3, 3), OnnxAttribute.String("auto_pad", "SAME_UPPER"), OnnxAttribute.Int("group", 1)], name: "conv")
            .AddOutput("y", TensorElementType.Float, 1, 1, 4, 4)
            .Build();
        var conv = model.Graph.Nodes.Single();

        Assert.Equal([3L, 3L], conv.FindAttribute("kernel_shape")!.GetInts());
        Assert.Equal("SAME_UPPER", conv.FindAttribute("auto_pad")!.GetString());
        Assert.Equal(1, conv.FindAttribute("group")!.GetInt());
        Assert.Equal(OnnxAttributeKind.Ints, conv.Attributes[0].Kind);
        Assert.Null(conv.FindAttribute("strides"));
        var ex = Assert.Throws<InvalidOperationException>(() => conv.FindAttribute("group")!.GetFloat());
        Assert.Contains("'group' is Int", ex.Message, StringComparison.Ordinal);

        conv.SetAttribute(OnnxAttribute.Int("group", 2));
        Assert.Equal(2, conv.FindAttribute("group")!.GetInt());
        Assert.Equal(3, conv.Attributes.Count);
        Assert.True(conv.RemoveAttribute("group"));
    }

    [Fact]
    public void Validate_reports_each_structural_problem_by_name()
    {
        var model = new OnnxGraphBuilder("g")
            .AddInput("x", TensorElementType.Float, 2)
            .AddInitializer("w", [1f, 2f], 2)
            .AddNode("Add", ["x", "w"], ["a"], name: "first")
            .AddNode("Mul", ["a", "ghost"], ["a"], name: "second")
            .AddNode("Relu", ["x"], ["w"], name: "third")
            .AddNode("MyOp", ["a"], ["y"], name: "custom", domain: "com.example")
            .AddOutput("y", TensorElementType.Float, 2)
            .AddOutput("z", TensorElementType.Float, 2)
            .Build();
        model.Graph.Proto.Initializer.Add(model.Graph.Proto.Initializer[0].Clone());
        model.RemoveOpset(OnnxModel.DefaultDomain);

        var problems = model.FindProblems();
        Assert.Contains(problems, p => p.Contains("more than one initializer named 'w'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("'a' is an output of both node 'first' (Add) and node 'second' (Mul)", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("'third' (Relu) writes 'w', which is already a graph input or initializer", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("'second' (Mul) reads 'ghost', which no node produces", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("output 'z' is not produced", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("no entry for the default ONNX domain", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("'custom' (MyOp) uses domain 'com.example'", StringComparison.Ordinal));
        Assert.Equal(7, problems.Count);

        var ex = Assert.Throws<OnnxFormatException>(model.Validate);
        Assert.Contains("'ghost'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cycles_are_reported_with_the_nodes_on_them_and_not_their_dependents()
    {
        // x -> in -> a -> b -> a (cycle a/b), b -> tail (downstream of the cycle).
        var model = new OnnxGraphBuilder("loop")
            .AddInput("x", TensorElementType.Float, 1)
            .AddNode("Identity", ["x"], ["i"], name: "in")
            .AddNode("Add", ["i", "bo"], ["ao"], name: "a")
            .AddNode("Relu", ["ao"], ["bo"], name: "b")
            .AddNode("Neg", ["bo"], ["y"], name: "tail")
            .AddOutput("y", TensorElementType.Float, 1)
            .Build();

        var ex = Assert.Throws<OnnxFormatException>(() => model.Graph.GetTopologicalOrder());
        Assert.Contains("cycle through nodes 'a' (Add), 'b' (Relu):", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("tail", ex.Message, StringComparison.Ordinal);
        Assert.Contains(model.FindProblems(), p => p.Contains("cycle", StringComparison.Ordinal));
        Assert.Throws<OnnxFormatException>(model.Graph.SortTopologically);
        Assert.Equal(["in", "a", "b", "tail"], model.Graph.Nodes.Select(n => n.Name));
    }

    [Fact]
    public void Builder_defaults_to_ir_8_and_opset_17_and_opsets_can_be_changed()
    {
        var model = new OnnxGraphBuilder().Build();
        Assert.Equal(8, model.IrVersion);
        Assert.Equal(17, model.GetOpset());
        Assert.Equal(17, model.GetOpset("ai.onnx"));

        model.SetOpset("com.microsoft", 1);
        model.SetOpset(OnnxModel.DefaultDomain, 13);
        Assert.Equal(13, model.GetOpset());
        Assert.Equal(2, model.Opsets.Count);
    }

    [Fact]
    public void Subgraph_reads_from_the_outer_scope_count_for_consumers_order_and_renaming()
    {
        // out = If(cond) then Identity(pre) else Neg(pre): both branches read 'pre' from the outer graph.
        var model = TestModels.Mlp().Build();
        model.Graph.AddInitializer(OnnxTensor.FromSingles("one", [1f]));
        model.Graph.InsertNode(0, "Cast", ["one"], ["cond"], name: "cast", attributes: [OnnxAttribute.Int("to", 9)]);
        var branch = model.Graph.InsertNode(0, "If", ["cond"], ["out"], name: "branch");
        branch.Proto.Attribute.Add(Branch("then_branch", "Identity"));
        branch.Proto.Attribute.Add(Branch("else_branch", "Neg"));
        model.Graph.AddOutput("out", TensorElementType.Float);

        Assert.Equal(["branch", "relu"], model.Graph.FindConsumers("pre").Select(n => n.Name));
        var order = model.Graph.GetTopologicalOrder().Select(n => n.Name).ToList();
        Assert.True(order.IndexOf("branch") > order.IndexOf("add"), string.Join(", ", order));

        Assert.Equal(4, model.Graph.RenameTensor("pre", "preact"));
        Assert.Throws<ArgumentException>(() => model.Graph.RenameTensor("preact", "then_out"));
        model.Graph.SortTopologically();
        Assert.Empty(model.FindProblems());

        var x = TestModels.Inputs(rows: 2, seed: 12);
        var outputs = OrtHelper.Run(model.ToBytes(), ("x", x, [2, 4]));
        OnnxRuntimeAgreementTests.AssertClose(TestModels.MlpByHand(x, 2, relu: false), outputs["out"], 1e-5f);
    }

    private static EdgeAI.Quantization.Onnx.Proto.AttributeProto Branch(string name, string op)
    {
        var prefix = name[..4];
        var graph = new EdgeAI.Quantization.Onnx.Proto.GraphProto { Name = prefix };
        graph.Node.Add(new EdgeAI.Quantization.Onnx.Proto.NodeProto { Name = prefix + "_op", OpType = op, Input = { "pre" }, Output = { prefix + "_out" } });
        graph.Output.Add(OnnxTensorInfo.ToValueInfo(prefix + "_out", TensorElementType.Float, null));
        return new EdgeAI.Quantization.Onnx.Proto.AttributeProto { Name = name, Type = EdgeAI.Quantization.Onnx.Proto.AttributeProto.Types.AttributeType.Graph, G = graph };
    }

    private static OnnxModel Diamond() =>
        new OnnxGraphBuilder("diamond")
            .AddInput("x", TensorElementType.Float, 2)
            .AddNode("Relu", ["x"], ["l"], name: "left")
            .AddNode("Neg", ["x"], ["r"], name: "right")
            .AddNode("Add", ["l", "r"], ["y"], name: "join")
            .AddOutput("y", TensorElementType.Float, 2)
            .Build();
}

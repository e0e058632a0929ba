using EdgeAI.Quantization.Onnx;
using EdgeAI.Quantization.Pruning;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeAI.Quantization.Tests.Pruning;

public sealed class ChannelPrunerTests
{
    private const float ExactTolerance = 1e-5f;

    public static TheoryData<string> Topologies => ["plain", "separable", "residual", "concat"];

    [Fact]
    public void RatioZeroLeavesOutputsIdentical()
    {
        var model = PruningModels.Plain().Build();

        var result = ChannelPruner.Prune(model, new PruningOptions { Ratio = 0 });

        Assert.All(result.Layers, l => Assert.Equal(l.ChannelsBefore, l.ChannelsAfter));
        Assert.Equal(result.Before.Parameters, result.After.Parameters);
        var input = PruningModels.Input(1, batch: 2);
        var expected = OrtHelper.Run(model.ToBytes(), ("x", input, [2, 3, 8, 8]))["y"];
        var actual = OrtHelper.Run(result.Model.ToBytes(), ("x", input, [2, 3, 8, 8]))["y"];
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void HalfTheChannelsLeavesExactlyTheParametersCountedByHand()
    {
        var model = PruningModels.Plain().Build();

        var result = ChannelPruner.Prune(model, new PruningOptions { Ratio = 0.5 });

        // conv1 8 -> 4 (3x3 over 3 inputs), bn1 4 x 4 params, conv2 16 -> 8 (3x3 over 4 inputs), fc 10 x (8 channels x 4x4) + 10.
        const long expected = ((4 * 3 * 9) + 4) + (4 * 4) + ((8 * 4 * 9) + 8) + ((10 * 8 * 16) + 10);
        const long original = ((8 * 3 * 9) + 8) + (8 * 4) + ((16 * 8 * 9) + 16) + ((10 * 16 * 16) + 10);
        Assert.Equal(original, result.Before.Parameters);
        Assert.Equal(expected, result.After.Parameters);
        Assert.Equal(expected, result.Model.Graph.Initializers.Sum(t => t.ElementCount));
        Assert.Equal([("conv1", 8, 4), ("conv2", 16, 8)], result.Layers.Select(l => (l.Name, l.ChannelsBefore, l.ChannelsAfter)));

        // MACs per sample: conv1 8x8 outputs x 4 channels x 27; conv2 4x4 x 8 x 36; fc 10 x 128.
        Assert.Equal((8 * 8 * 4 * 27) + (4 * 4 * 8 * 36) + (10 * 128), result.After.Macs);
        Assert.Equal((8 * 8 * 8 * 27) + (4 * 4 * 16 * 72) + (10 * 256), result.Before.Macs);
        Assert.Equal(4 * 4 * 8 * 36, result.Layers[1].MacsAfter);

        var input = PruningModels.Input(2);
        var shapes = OrtHelper.Shapes(result.Model.ToBytes(), ("x", input, [1, 3, 8, 8]));
        Assert.Equal([1L, 10], shapes["y"]);
        Assert.True(result.Model.ToBytes().Length < model.ToBytes().Length * 0.6);
    }

    [Theory]
    [MemberData(nameof(Topologies))]
    public void RemovingAllZeroChannelsLeavesTheOutputsUnchanged(string topology)
    {
        var (zeroed, build) = ZeroedModel(topology);
        var model = build(zeroed).Build();
        var sources = zeroed.Keys.Where(k => !k.StartsWith("dw", StringComparison.Ordinal)).ToList();
        var layers = ChannelPruner.FindLayers(model).ToDictionary(l => l.Convs[0]);
        var options = new PruningOptions();
        foreach (var name in sources)
        {
            options.LayerRatios[name] = (double)zeroed[name].Length / layers.Values.Single(l => l.Convs.Contains(name)).Channels;
        }

        var result = ChannelPruner.Prune(model, options);

        // The L1 ranking finds exactly the zeroed channels (their norm is 0), and removing them changes nothing.
        foreach (var name in sources.Where(layers.ContainsKey))
        {
            Assert.Equal(zeroed[name], result.Layers.Single(l => l.Name == name).RemovedChannels);
        }

        var input = PruningModels.Input(3, batch: 2);
        var expected = OrtHelper.Run(model.ToBytes(), ("x", input, [2, 3, 8, 8]))["y"];
        var actual = OrtHelper.Run(result.Model.ToBytes(), ("x", input, [2, 3, 8, 8]))["y"];
        Assert.Equal(expected.Length, actual.Length);
        Assert.All(expected.Zip(actual), p => Assert.True(Math.Abs(p.First - p.Second) <= ExactTolerance, $"{p.First} vs {p.Second}"));
        Assert.True(result.After.Parameters < result.Before.Parameters);
    }

    [Fact]
    public void RemovingNonZeroChannelsChangesTheOutputs()
    {
        // The exactness test above would pass vacuously if outputs never changed: removing live channels must show.
        var model = PruningModels.Plain(batchNorm: false).Build();
        var result = ChannelPruner.RemoveChannels(model, new Dictionary<string, IReadOnlyCollection<int>> { ["conv2"] = [0, 1, 2] });

        var input = PruningModels.Input(4);
        var expected = OrtHelper.Run(model.ToBytes(), ("x", input, [1, 3, 8, 8]))["y"];
        var actual = OrtHelper.Run(result.Model.ToBytes(), ("x", input, [1, 3, 8, 8]))["y"];
        Assert.True(expected.Zip(actual).Max(p => Math.Abs(p.First - p.Second)) > 1e-3);
    }

    [Fact]
    public void ResidualAddJoinsBothConvsIntoOneLayer()
    {
        var layers = ChannelPruner.FindLayers(PruningModels.Residual().Build());

        Assert.Equal(["conv_a", "conv_b"], layers[0].Convs);
        Assert.Equal(8, layers[0].Channels);
        Assert.Equal("conv_c", layers[1].Name);
        Assert.All(layers, l => Assert.True(l.CanPrune, l.ToString()));
    }

    [Fact]
    public void DepthwiseConvsFollowTheirInputAndKeepGroupEqualToChannels()
    {
        var result = ChannelPruner.Prune(PruningModels.Separable().Build(), new PruningOptions { Ratio = 0.5 });

        Assert.Equal(["conv0", "pw1", "pw2"], result.Layers.Select(l => l.Name));
        var dw2 = result.Model.Graph.Nodes.Single(n => n.Name == "dw2");
        Assert.Equal(8, dw2.FindAttribute("group")!.GetInt());
        Assert.Equal([8L, 1, 3, 3], result.Model.Graph.FindInitializer("dw2.w")!.Dims);
        Assert.Equal([6L, 5], result.Model.Graph.FindInitializer("head_w")!.Dims);
    }

    [Theory]
    [InlineData("Transpose")]
    [InlineData("Softmax")]
    [InlineData("LRN")]
    public void AConsumerWhoseChannelDependencyCannotBeFollowedRefusesTheLayerNamingIt(string opType)
    {
        var attributes = opType switch
        {
            "Transpose" => new[] { OnnxAttribute.Ints("perm", 0, 2, 3, 1) },
            "Softmax" => [OnnxAttribute.Int("axis", 1)],
            _ => [OnnxAttribute.Int("size", 3)],
        };
        var model = PruningModels.WithConsumer(opType, attributes).Build();

        var layer = Assert.Single(ChannelPruner.FindLayers(model));
        Assert.False(layer.CanPrune);
        Assert.Contains($"t_{opType.ToLowerInvariant()}", layer.Refusal, StringComparison.Ordinal);

        var global = ChannelPruner.Prune(model, new PruningOptions { Ratio = 0.5 });
        Assert.Empty(global.Layers);
        Assert.Equal("conv1", Assert.Single(global.Refused).Name);

        var options = new PruningOptions();
        options.LayerRatios["conv1"] = 0.5;
        var error = Assert.Throws<NotSupportedException>(() => ChannelPruner.Prune(model, options));
        Assert.Contains("conv1", error.Message, StringComparison.Ordinal);
        Assert.Contains($"t_{opType.ToLowerInvariant()}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ChannelsReachingAGraphOutputAreNotPruned()
    {
        var model = PruningModels.Plain().Build();
        model.Graph.AddOutput("r1");

        var layers = ChannelPruner.FindLayers(model);

        Assert.Contains("graph output 'r1'", layers.Single(l => l.Name == "conv1").Refusal, StringComparison.Ordinal);
        Assert.True(layers.Single(l => l.Name == "conv2").CanPrune);
    }

    [Fact]
    public void AGroupedConvThatIsNotDepthwiseRefusesItsInputLayer()
    {
        var model = new OnnxGraphBuilder("grouped")
            .AddInput("x", TensorElementType.Float, "N", 3, 8, 8)
            .AddInitializer("w1", new float[8 * 27], 8, 3, 3, 3)
            .AddInitializer("w2", new float[8 * 4 * 9], 8, 4, 3, 3)
            .AddNode("Conv", ["x", "w1"], ["c1"], name: "conv1")
            .AddNode("Conv", ["c1", "w2"], ["y"], [OnnxAttribute.Int("group", 2)], "grouped")
            .AddOutput("y", TensorElementType.Float)
            .Build();

        var layer = ChannelPruner.FindLayers(model).Single(l => l.Name == "conv1");

        Assert.Contains("'grouped' (Conv) is a grouped Conv (group 2 over 8 channels)", layer.Refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void AnExcludedNodeKeepsItsLayerWhole()
    {
        var options = new PruningOptions { Ratio = 0.5 };
        options.ExcludedNodes.Add("dw2");

        var result = ChannelPruner.Prune(PruningModels.Separable().Build(), options);

        Assert.Contains("'dw2' (Conv) is excluded", Assert.Single(result.Refused).Refusal, StringComparison.Ordinal);
        Assert.Equal("pw1", result.Refused[0].Name);
        Assert.Equal(["conv0", "pw2"], result.Layers.Select(l => l.Name));
    }

    [Fact]
    public void BatchNormScaleCountsInTheRanking()
    {
        // A channel whose BatchNormalization scale is tiny contributes little after folding, however large its weights.
        var model = PruningModels.Plain().Build();
        var scale = model.Graph.FindInitializer("bn1.scale")!.ToSingleArray();
        scale[3] = 1e-6f;
        model.Graph.RemoveInitializer("bn1.scale");
        model.Graph.AddInitializer(OnnxTensor.FromSingles("bn1.scale", scale, 8));
        var options = new PruningOptions();
        options.LayerRatios["conv1"] = 0.125;

        var result = ChannelPruner.Prune(model, options);

        Assert.Equal([3], result.Layers.Single(l => l.Name == "conv1").RemovedChannels);
        Assert.Equal([7L], result.Model.Graph.FindInitializer("bn1.mean")!.Dims);
    }

    [Fact]
    public void ChannelMultipleRoundsTheKeptCountUp()
    {
        var result = ChannelPruner.Prune(PruningModels.Plain().Build(), new PruningOptions { Ratio = 0.7, ChannelMultiple = 4 });

        // conv1: 8 - floor(5.6) = 3 -> 4; conv2: 16 - floor(11.2) = 5 -> 8.
        Assert.Equal([4, 8], result.Layers.Select(l => l.ChannelsAfter));
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.0)]
    [InlineData(double.NaN)]
    public void ARatioOutOfRangeIsRefusedNamingTheSetting(double ratio)
    {
        var error = Assert.Throws<ArgumentException>(() => ChannelPruner.Prune(PruningModels.Plain().Build(), new PruningOptions { Ratio = ratio }));

        Assert.Contains("Ratio", error.Message, StringComparison.Ordinal);
        Assert.Contains("[0, 1)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownNamesAreRefused()
    {
        var model = PruningModels.Plain().Build();
        var excluded = new PruningOptions();
        excluded.ExcludedNodes.Add("conv9");
        var ratio = new PruningOptions();
        ratio.LayerRatios["fc"] = 0.5;

        Assert.Contains("'conv9' is not a node", Assert.Throws<ArgumentException>(() => ChannelPruner.Prune(model, excluded)).Message, StringComparison.Ordinal);
        Assert.Contains("'fc' is not a Conv whose output channels can be pruned; layers: conv1, conv2", Assert.Throws<ArgumentException>(() => ChannelPruner.Prune(model, ratio)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => ChannelPruner.RemoveChannels(model, new Dictionary<string, IReadOnlyCollection<int>> { ["conv1"] = [8] }));
        Assert.Throws<ArgumentException>(() => ChannelPruner.RemoveChannels(model, new Dictionary<string, IReadOnlyCollection<int>> { ["conv1"] = [.. Enumerable.Range(0, 8)] }));
    }

    [Fact]
    public void UnnamedConvsAreNamedByTheirOutputTensor()
    {
        var model = PruningModels.Residual().Build();
        foreach (var node in model.Graph.Nodes)
        {
            node.Name = "";
        }

        var result = ChannelPruner.Prune(model, new PruningOptions { Ratio = 0.5 });

        Assert.Equal(["ca", "cc"], result.Layers.Select(l => l.Name));
        Assert.Equal(["ca", "cb"], result.Layers[0].Convs);
        Assert.All(result.Layers, l => Assert.Equal(l.ChannelsBefore / 2, l.ChannelsAfter));
        Assert.Equal(8 * 8 * 4 * 27, result.Layers[0].MacsAfter - (8 * 8 * 4 * 36));
    }

    [Fact]
    public void WeightsWhoseShapesDoNotMatchTheChannelsRefuseTheLayerNamingTheTensor()
    {
        // A Gemm whose input features are not a multiple of the flattened channels, and a depthwise bias of the wrong length.
        var model = new OnnxGraphBuilder("mismatched")
            .AddInput("x", TensorElementType.Float, "N", 3, 4, 4)
            .AddInitializer("w1", new float[8 * 27], 8, 3, 3, 3)
            .AddInitializer("w2", new float[6 * 27], 6, 3, 3, 3)
            .AddInitializer("dw", new float[6 * 9], 6, 1, 3, 3)
            .AddInitializer("dwb", new float[5], 5)
            .AddInitializer("fc", new float[100 * 2], 100, 2)
            .AddNode("Conv", ["x", "w1"], ["c1"], [OnnxAttribute.Ints("pads", 1, 1, 1, 1)], "conv1")
            .AddNode("Flatten", ["c1"], ["f"], name: "flatten")
            .AddNode("MatMul", ["f", "fc"], ["y"], name: "fc")
            .AddNode("Conv", ["x", "w2"], ["c2"], [OnnxAttribute.Ints("pads", 1, 1, 1, 1)], "conv2")
            .AddNode("Conv", ["c2", "dw", "dwb"], ["z"], [OnnxAttribute.Int("group", 6), OnnxAttribute.Ints("pads", 1, 1, 1, 1)], "depthwise")
            .AddNode("Relu", ["z"], ["r"], name: "relu")
            .AddOutput("y", TensorElementType.Float)
            .AddOutput("r", TensorElementType.Float)
            .Build();

        var layers = ChannelPruner.FindLayers(model).ToDictionary(l => l.Name);

        Assert.Contains("'fc' (MatMul) has 100 input features, not a multiple of the 8 channels", layers["conv1"].Refusal, StringComparison.Ordinal);
        Assert.Contains("'dwb' with 5 entries on axis 0; expected 6", layers["conv2"].Refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void AnInvalidModelIsRefused()
    {
        var model = PruningModels.Plain().Build();
        model.Graph.RemoveInitializer("conv2.w");

        Assert.Throws<OnnxFormatException>(() => ChannelPruner.Prune(model, new PruningOptions { Ratio = 0.5 }));
    }

    private static (Dictionary<string, int[]> Zeroed, Func<Dictionary<string, int[]>, OnnxGraphBuilder> Build) ZeroedModel(string topology) => topology switch
    {
        "plain" => (new() { ["conv1"] = [2, 5], ["conv2"] = [0, 9, 15] }, z => PruningModels.Plain(z, batchNorm: false)),
        "separable" => (new() { ["conv0"] = [1, 5], ["dw1"] = [1, 5], ["pw1"] = [3, 7, 10], ["dw2"] = [3, 7, 10], ["pw2"] = [0, 11] }, z => PruningModels.Separable(z)),
        "residual" => (new() { ["conv_a"] = [1, 6], ["conv_b"] = [1, 6], ["conv_c"] = [2] }, z => PruningModels.Residual(z)),
        _ => (new() { ["conv_a"] = [3], ["conv_b"] = [0, 4, 9], ["conv_c"] = [5] }, z => PruningModels.Concat(z)),
    };
}

using System.IO.Compression;
using EdgeAI.Quantization.Pruning;

namespace EdgeAI.Quantization.Tests.Pruning;

public sealed class MagnitudePrunerTests
{
    [Fact]
    public void ZeroesExactlyTheSmallestWeightsOfEachLayer()
    {
        var model = PruningModels.Plain().Build();

        var result = MagnitudePruner.Prune(model, 0.5);

        Assert.Equal(["conv1", "conv2", "fc"], result.Layers.Select(l => l.Node));
        foreach (var layer in result.Layers)
        {
            var before = model.Graph.FindInitializer(layer.Weight)!.ToSingleArray();
            var after = result.Model.Graph.FindInitializer(layer.Weight)!.ToSingleArray();
            Assert.Equal(before.Length / 2, after.Count(v => v == 0));
            Assert.Equal(layer.Zeros, after.Count(v => v == 0));
            var zeroed = before.Where((_, i) => after[i] == 0).Max(Math.Abs);
            var kept = before.Where((_, i) => after[i] != 0).Min(Math.Abs);
            Assert.True(zeroed <= kept, $"{layer.Node}: zeroed |w| up to {zeroed} but kept one of {kept}");
            Assert.Equal(before.Where((_, i) => after[i] != 0), after.Where(v => v != 0));
        }

        Assert.Equal(0.5, result.Sparsity, 2);
    }

    [Fact]
    public void KeepsTheFileSizeButShrinksTheCompressedSize()
    {
        var model = PruningModels.Plain().Build();

        var sparse = MagnitudePruner.Prune(model, 0.75).Model;

        Assert.Equal(model.ToBytes().Length, sparse.ToBytes().Length);
        Assert.True(Compressed(sparse.ToBytes()) < Compressed(model.ToBytes()) * 0.6);
        var input = PruningModels.Input(5);
        Assert.Equal(10, OrtHelper.Run(sparse.ToBytes(), ("x", input, [1, 3, 8, 8]))["y"].Length);
    }

    [Fact]
    public void ExcludedNodesKeepTheirWeights()
    {
        var result = MagnitudePruner.Prune(PruningModels.Plain().Build(), 0.5, ["fc"]);

        Assert.DoesNotContain(result.Layers, l => l.Node == "fc");
        Assert.DoesNotContain(0f, result.Model.Graph.FindInitializer("fc.w")!.ToSingleArray());
    }

    [Theory]
    [InlineData(-0.01)]
    [InlineData(1.0)]
    [InlineData(double.NaN)]
    public void ASparsityOutOfRangeIsRefused(double sparsity)
    {
        var error = Assert.Throws<ArgumentException>(() => MagnitudePruner.Prune(PruningModels.Plain().Build(), sparsity));

        Assert.Contains("[0, 1)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnknownExcludedNodeIsRefused() =>
        Assert.Contains("'nope'", Assert.Throws<ArgumentException>(() => MagnitudePruner.Prune(PruningModels.Plain().Build(), 0.5, ["nope"])).Message, StringComparison.Ordinal);

    private static long Compressed(byte[] bytes)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZLibStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
        {
            zip.Write(bytes);
        }

        return buffer.Length;
    }
}

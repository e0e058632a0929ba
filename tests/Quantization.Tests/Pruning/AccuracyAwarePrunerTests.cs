using EdgeAI.Quantization.Evaluation;
using EdgeAI.Quantization.Pruning;

namespace EdgeAI.Quantization.Tests.Pruning;

public sealed class AccuracyAwarePrunerTests
{
    [Fact]
    public void PrunesWithinTheCosineBudgetAndTheFinalModelMeetsItWhenMeasuredAgain()
    {
        var model = PruningModels.Separable().Build();
        var samples = PruningModels.Samples(100, 12);
        var options = new AccuracyAwarePruningOptions { MinCosine = 0.98 };
        options.Comparison.TimingRepeats = 2;

        var result = AccuracyAwarePruner.Prune(model, samples, options);

        Assert.True(result.BudgetMet);
        Assert.Equal(["conv0", "pw1", "pw2"], result.Sensitivities.Select(s => s.Layer).Order());
        Assert.True(result.Sensitivities.Zip(result.Sensitivities.Skip(1)).All(p => p.First.MinCosine >= p.Second.MinCosine), "least sensitive first");
        Assert.True(result.Pruning.After.Parameters < result.Pruning.Before.Parameters, "something was pruned");
        Assert.True(result.Evaluations >= result.Sensitivities.Count);
        Assert.True(double.IsFinite(result.Comparison.LatencyRatio));

        // Measured independently of the search: a fresh comparison of the saved model against fp32.
        var again = ModelComparer.Compare(model.ToBytes(), result.Pruning.Model.ToBytes(), samples, new ModelComparisonOptions { TimingRepeats = 0 });
        Assert.True(again.MinCosine >= 0.98, $"cosine {again.MinCosine}");

        // The budget binds: one more step on any layer that can still grow breaks it.
        foreach (var (layer, ratio) in result.Ratios.Where(r => r.Value + options.Step <= options.MaxRatio))
        {
            var more = new PruningOptions();
            foreach (var (name, r) in result.Ratios)
            {
                more.LayerRatios[name] = name == layer ? r + options.Step : r;
            }

            var bigger = ChannelPruner.Prune(model, more).Model;
            if (bigger.Graph.Initializers.Sum(t => t.ElementCount) == result.Pruning.Model.Graph.Initializers.Sum(t => t.ElementCount))
            {
                continue;
            }

            var cosine = ModelComparer.Compare(model.ToBytes(), bigger.ToBytes(), samples, new ModelComparisonOptions { TimingRepeats = 0 }).MinCosine;
            Assert.True(cosine < 0.98, $"{layer} could have gone to {ratio + options.Step} (cosine {cosine})");
        }
    }

    [Fact]
    public void ZeroChannelsArePrunedForFreeUnderAnAlmostExactBudget()
    {
        var zeroed = new Dictionary<string, int[]> { ["conv1"] = [0, 1, 2, 3], ["conv2"] = [.. Enumerable.Range(0, 8)] };
        var model = PruningModels.Plain(zeroed, batchNorm: false).Build();
        var options = new AccuracyAwarePruningOptions { MinCosine = 0.99999, MaxRatio = 0.5 };
        options.Comparison.TimingRepeats = 0;

        var result = AccuracyAwarePruner.Prune(model, PruningModels.Samples(200, 6), options);

        Assert.Equal(0.5, result.Ratios["conv1"], 6);
        Assert.Equal(0.5, result.Ratios["conv2"], 6);
        Assert.Equal(zeroed["conv2"], result.Pruning.Layers.Single(l => l.Name == "conv2").RemovedChannels);
        Assert.True(result.Comparison.MinCosine >= 0.99999);
    }

    [Fact]
    public void ATopOneBudgetNeedsAClassifierShapedOutput()
    {
        var model = PruningModels.WithConsumer("Relu").Build();
        var options = new AccuracyAwarePruningOptions { MinTop1 = 0.9 };

        var error = Assert.Throws<ArgumentException>(() => AccuracyAwarePruner.Prune(model, PruningModels.Samples(1, 2), options));

        Assert.Contains("classifier-shaped output", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BadSettingsAreRefusedNamingThem()
    {
        var model = PruningModels.Plain().Build();
        var samples = PruningModels.Samples(1, 2);

        Assert.Contains("needs a budget", Assert.Throws<ArgumentException>(() => AccuracyAwarePruner.Prune(model, samples, new AccuracyAwarePruningOptions())).Message, StringComparison.Ordinal);
        Assert.Contains("MinCosine is 1.5", Assert.Throws<ArgumentException>(() => AccuracyAwarePruner.Prune(model, samples, new AccuracyAwarePruningOptions { MinCosine = 1.5 })).Message, StringComparison.Ordinal);
        Assert.Contains("Step is 0", Assert.Throws<ArgumentException>(() => AccuracyAwarePruner.Prune(model, samples, new AccuracyAwarePruningOptions { MinCosine = 0.9, Step = 0 })).Message, StringComparison.Ordinal);
        Assert.Contains("At least one evaluation sample", Assert.Throws<ArgumentException>(() => AccuracyAwarePruner.Prune(model, [], new AccuracyAwarePruningOptions { MinCosine = 0.9 })).Message, StringComparison.Ordinal);
        Assert.Contains("the search chooses them", Assert.Throws<ArgumentException>(() => AccuracyAwarePruner.Prune(model, samples, new AccuracyAwarePruningOptions { MinCosine = 0.9, Pruning = new PruningOptions { Ratio = 0.3 } })).Message, StringComparison.Ordinal);
        var unknownOutput = new AccuracyAwarePruningOptions { MinCosine = 0.9 };
        unknownOutput.BudgetOutputs.Add("logits");
        Assert.Contains("'logits' is not a graph output", Assert.Throws<ArgumentException>(() => AccuracyAwarePruner.Prune(model, samples, unknownOutput)).Message, StringComparison.Ordinal);
    }
}

using EdgeAI.Quantization.Calibration;
using EdgeAI.Quantization.Onnx;

namespace EdgeAI.Quantization.Pruning;

/// <summary>
/// Structured channel pruning of ONNX CNNs: removes whole output channels of Convs (the filters with the smallest
/// L1 or L2 norm) together with everything that carries those channels, so the pruned model is a smaller dense
/// model that ONNX Runtime runs faster on CPU. See <see cref="PrunableLayer"/> for what is followed.
/// </summary>
/// <remarks>
/// Run <see cref="Int8.ModelPreparer.Prepare"/> first so BatchNormalization is folded into the Convs (the ranking
/// then sees the folded weights; an unfolded BatchNormalization directly after a Conv is accounted for too).
/// Without fine-tuning afterwards, pruning costs accuracy; measure it (<see cref="AccuracyAwarePruner"/>).
/// </remarks>
public static class ChannelPruner
{
    /// <summary>The layers of <paramref name="model"/> and whether each can be pruned (and if not, why).</summary>
    /// <param name="model">The model; not changed.</param>
    /// <param name="excludedNodes">Nodes to leave alone; layers touching them are refused.</param>
    /// <exception cref="ArgumentException">An excluded name is not a node of the model.</exception>
    /// <exception cref="OnnxFormatException">The model is not valid.</exception>
    public static IReadOnlyList<PrunableLayer> FindLayers(OnnxModel model, IEnumerable<string>? excludedNodes = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        model.Validate();
        return Analyze(model.Graph, excludedNodes ?? []).Layers;
    }

    /// <summary>Prunes a copy of <paramref name="model"/>: each prunable layer loses its lowest-ranked channels at its ratio.</summary>
    /// <param name="model">The model; not changed.</param>
    /// <param name="options">Ratios, exclusions and ranking.</param>
    /// <param name="shapeSample">One input per graph input, used to count MACs (see <see cref="ModelCost.Measure"/>); optional.</param>
    /// <exception cref="ArgumentException">An option is out of range, or a per-layer ratio or exclusion names no such layer or node.</exception>
    /// <exception cref="NotSupportedException">A per-layer ratio above 0 names a layer that cannot be pruned; the message says why, naming the node.</exception>
    /// <exception cref="OnnxFormatException">The model is not valid.</exception>
    public static PruningResult Prune(OnnxModel model, PruningOptions options, IReadOnlyDictionary<string, NpyArray>? shapeSample = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return Execute(model, options.ExcludedNodes, shapeSample, (analysis, layers) =>
        {
            var ratios = layers.ToDictionary(l => l.Name, _ => options.Ratio, StringComparer.Ordinal);
            foreach (var (name, ratio) in options.LayerRatios)
            {
                var layer = Require(analysis, name, ratio > 0);
                ratios[layer.Name] = ratio;
            }

            return layers.Where(l => l.CanPrune).ToDictionary(
                l => l.Name,
                l => Lowest(analysis.ChannelNorms(l, options.Criterion), l.Channels - options.Kept(l.Channels, ratios[l.Name])),
                StringComparer.Ordinal);
        });
    }

    /// <summary>Removes exactly the given output channels (indices before pruning) of the named layers from a copy of <paramref name="model"/>.</summary>
    /// <param name="model">The model; not changed.</param>
    /// <param name="channels">Channels to remove, by the name of a Conv of the layer.</param>
    /// <param name="shapeSample">One input per graph input, used to count MACs; optional.</param>
    /// <exception cref="ArgumentException">A name is not a prunable layer's Conv, or an index is out of range, repeated, or would remove every channel.</exception>
    /// <exception cref="NotSupportedException">A named layer cannot be pruned; the message says why, naming the node.</exception>
    public static PruningResult RemoveChannels(OnnxModel model, IReadOnlyDictionary<string, IReadOnlyCollection<int>> channels, IReadOnlyDictionary<string, NpyArray>? shapeSample = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(channels);
        return Execute(model, new HashSet<string>(StringComparer.Ordinal), shapeSample, (analysis, _) =>
        {
            var removed = new Dictionary<string, int[]>(StringComparer.Ordinal);
            foreach (var (name, indices) in channels)
            {
                var layer = Require(analysis, name, indices.Count > 0);
                if (indices.Any(i => i < 0 || i >= layer.Channels) || indices.Distinct().Count() != indices.Count || indices.Count >= layer.Channels)
                {
                    throw new ArgumentException($"Channels to remove from layer '{layer.Name}' ({string.Join(", ", indices)}) must be distinct indices in [0, {layer.Channels}) leaving at least one channel.", nameof(channels));
                }

                removed[layer.Name] = [.. indices.Order()];
            }

            return removed;
        });
    }

    internal static ChannelGraph Analyze(OnnxGraph graph, IEnumerable<string> excludedNodes)
    {
        var excluded = excludedNodes.ToHashSet(StringComparer.Ordinal);
        var names = graph.Nodes.Select(n => ChannelGraph.Key(n.Proto)).ToHashSet(StringComparer.Ordinal);
        foreach (var name in excluded.Where(n => !names.Contains(n)))
        {
            throw new ArgumentException($"Excluded node '{name}' is not a node of graph '{graph.Name}'; expected a node name (see 'edgeai-quant inspect').", nameof(excludedNodes));
        }

        return ChannelGraph.Analyze(graph, excluded);
    }

    private static PruningResult Execute(
        OnnxModel model,
        IEnumerable<string> excludedNodes,
        IReadOnlyDictionary<string, NpyArray>? shapeSample,
        Func<ChannelGraph, IReadOnlyList<PrunableLayer>, Dictionary<string, int[]>> choose)
    {
        model.Validate();
        var copy = model.Clone();
        var analysis = Analyze(copy.Graph, excludedNodes);
        var layers = analysis.Layers;
        var removed = choose(analysis, layers);
        var before = ModelCost.Measure(model, shapeSample);
        var parametersBefore = layers.ToDictionary(l => l.Name, l => ModelCost.NodeParameters(copy.Graph, l.Convs), StringComparer.Ordinal);
        analysis.Apply(removed);
        copy.Graph.SortTopologically();
        copy.Validate();
        var after = ModelCost.Measure(copy, shapeSample);
        long? Macs(ModelCost cost, PrunableLayer layer) => cost.MacsByNode is { } macs ? layer.Convs.Sum(c => macs.GetValueOrDefault(c)) : null;
        var report = layers.Where(l => l.CanPrune).Select(l =>
        {
            var gone = removed.GetValueOrDefault(l.Name) ?? [];
            return new LayerPruning(l.Name, l.Convs, l.Channels, l.Channels - gone.Length, gone, parametersBefore[l.Name], ModelCost.NodeParameters(copy.Graph, l.Convs), Macs(before, l), Macs(after, l));
        });
        return new PruningResult(copy, [.. report], [.. layers.Where(l => !l.CanPrune)], before, after);
    }

    private static PrunableLayer Require(ChannelGraph analysis, string convName, bool pruning)
    {
        var layer = analysis.FindLayer(convName) ?? throw new ArgumentException(
            $"'{convName}' is not a Conv whose output channels can be pruned; layers: {string.Join(", ", analysis.Layers.Select(l => l.Name))}.", nameof(convName));
        if (pruning && layer.Refusal is { } why)
        {
            throw new NotSupportedException($"Layer '{layer.Name}' cannot be pruned: {why}.");
        }

        return layer;
    }

    /// <summary>Indices of the <paramref name="count"/> smallest scores (ties: lower index first), ascending.</summary>
    private static int[] Lowest(double[] scores, int count) =>
        [.. Enumerable.Range(0, scores.Length).OrderBy(i => scores[i]).ThenBy(i => i).Take(count).Order()];
}

using EdgeAI.Quantization.Onnx;

namespace EdgeAI.Quantization.Pruning;

/// <summary>The result of <see cref="ChannelPruner"/>: the pruned model and what changed.</summary>
public sealed class PruningResult
{
    internal PruningResult(OnnxModel model, IReadOnlyList<LayerPruning> layers, IReadOnlyList<PrunableLayer> refused, ModelCost before, ModelCost after)
    {
        Model = model;
        Layers = layers;
        Refused = refused;
        Before = before;
        After = after;
    }

    /// <summary>The pruned copy (valid, topologically sorted).</summary>
    public OnnxModel Model { get; }

    /// <summary>Every prunable layer, in graph order, with the channels it kept (possibly all).</summary>
    public IReadOnlyList<LayerPruning> Layers { get; }

    /// <summary>Layers that could not be pruned, each with its <see cref="PrunableLayer.Refusal"/>.</summary>
    public IReadOnlyList<PrunableLayer> Refused { get; }

    /// <summary>Parameters and multiply-accumulates of the whole model before pruning.</summary>
    public ModelCost Before { get; }

    /// <summary>Parameters and multiply-accumulates of the whole model after pruning.</summary>
    public ModelCost After { get; }
}

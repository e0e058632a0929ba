using EdgeAI.Quantization.Onnx;

namespace EdgeAI.Quantization.Pruning;

/// <summary>The result of <see cref="MagnitudePruner.Prune"/>.</summary>
public sealed class SparsityResult
{
    internal SparsityResult(OnnxModel model, IReadOnlyList<LayerSparsity> layers)
    {
        Model = model;
        Layers = layers;
    }

    /// <summary>The model with zeroed weights (same shapes, same file size uncompressed).</summary>
    public OnnxModel Model { get; }

    /// <summary>Every sparsified weight, in node order.</summary>
    public IReadOnlyList<LayerSparsity> Layers { get; }

    /// <summary>Zeros over all sparsified weight elements (0 when there were none).</summary>
    public double Sparsity => Layers.Sum(l => l.Elements) is var total and > 0 ? (double)Layers.Sum(l => l.Zeros) / total : 0;
}

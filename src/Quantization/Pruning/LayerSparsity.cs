namespace EdgeAI.Quantization.Pruning;

/// <summary>One weight after unstructured pruning.</summary>
/// <param name="Node">The node that reads the weight.</param>
/// <param name="Weight">The initializer's name.</param>
/// <param name="Elements">Its element count.</param>
/// <param name="Zeros">How many of them are zero now (including any that already were).</param>
public sealed record LayerSparsity(string Node, string Weight, long Elements, long Zeros)
{
    /// <summary>Zeros over elements.</summary>
    public double Sparsity => Elements == 0 ? 0 : (double)Zeros / Elements;
}

namespace EdgeAI.Quantization.Pruning;

/// <summary>
/// A set of output channels that structured pruning removes together: the output channels of one Conv, or of
/// several Convs whose outputs are added (residual Add) and so must keep the same channels. Depthwise Convs,
/// activations, BatchNormalization and pools that carry these channels are pruned with them, and every consumer
/// loses the matching input channels.
/// </summary>
public sealed class PrunableLayer
{
    internal PrunableLayer(string name, IReadOnlyList<string> convs, int channels, string? refusal, int root)
    {
        Name = name;
        Convs = convs;
        Channels = channels;
        Refusal = refusal;
        Root = root;
    }

    /// <summary>
    /// The layer's name: the name of its first Conv, or that Conv's output tensor name when the node is unnamed (use it,
    /// or any name in <see cref="Convs"/>, in per-layer ratios).
    /// </summary>
    public string Name { get; }

    /// <summary>The Convs whose output channels make up the layer, in graph order (named as <see cref="Name"/> is).</summary>
    public IReadOnlyList<string> Convs { get; }

    /// <summary>Output channels before pruning.</summary>
    public int Channels { get; }

    /// <summary>
    /// Why the layer cannot be pruned (naming the node whose channel dependency cannot be followed, the graph output
    /// it reaches, or the exclusion), or <see langword="null"/> when it can.
    /// </summary>
    public string? Refusal { get; }

    /// <summary>Whether the layer can be pruned.</summary>
    public bool CanPrune => Refusal is null;

    internal int Root { get; }

    /// <summary>E.g. <c>conv2 (64 channels)</c> or <c>conv3 (32 channels; not prunable: ...)</c>.</summary>
    public override string ToString() => $"{Name} ({Channels} channels{(Refusal is null ? "" : "; not prunable: " + Refusal)})";
}

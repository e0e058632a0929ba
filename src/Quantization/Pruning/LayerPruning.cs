namespace EdgeAI.Quantization.Pruning;

/// <summary>What structured pruning did to one layer.</summary>
/// <param name="Name">The layer (its first Conv).</param>
/// <param name="Convs">The Convs whose output channels were pruned together.</param>
/// <param name="ChannelsBefore">Output channels before.</param>
/// <param name="ChannelsAfter">Output channels kept.</param>
/// <param name="RemovedChannels">Indices (before pruning) of the removed channels, ascending.</param>
/// <param name="ParametersBefore">Weights and biases of the layer's Convs before (input channels pruned upstream count too).</param>
/// <param name="ParametersAfter">The same after pruning.</param>
/// <param name="MacsBefore">Multiply-accumulates of the layer's Convs per sample before, or <see langword="null"/> when shapes were unknown.</param>
/// <param name="MacsAfter">The same after pruning.</param>
public sealed record LayerPruning(
    string Name,
    IReadOnlyList<string> Convs,
    int ChannelsBefore,
    int ChannelsAfter,
    IReadOnlyList<int> RemovedChannels,
    long ParametersBefore,
    long ParametersAfter,
    long? MacsBefore,
    long? MacsAfter);

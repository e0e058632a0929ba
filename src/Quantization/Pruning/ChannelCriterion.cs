namespace EdgeAI.Quantization.Pruning;

/// <summary>How structured pruning ranks a layer's output channels (the smallest go first).</summary>
public enum ChannelCriterion
{
    /// <summary>Sum of absolute weights of the channel's filter (Li et al. 2017, "Pruning Filters for Efficient ConvNets").</summary>
    L1,

    /// <summary>Euclidean norm of the channel's filter.</summary>
    L2,
}

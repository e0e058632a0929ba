namespace EdgeAI.Quantization.Pruning;

/// <summary>
/// A run of consecutive channels of a tensor that all come from one channel group (the output channels of one
/// prunable Conv, or of several Convs joined by an element-wise Add). A tensor's channel axis is a list of
/// segments: one for a Conv output, several after a Concat.
/// </summary>
/// <param name="Group">The channel group (before union-find resolution).</param>
/// <param name="Count">Channels in the segment before pruning.</param>
internal readonly record struct ChannelSegment(int Group, int Count);

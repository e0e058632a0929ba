namespace EdgeAI.Quantization.Pruning;

/// <summary>
/// One change pruning makes to the graph: remove, along <see cref="Axis"/> of initializer <see cref="Initializer"/>,
/// the entries that belong to removed channels of <see cref="Channels"/> (each channel owns <see cref="Block"/>
/// consecutive entries, e.g. H×W columns of a Gemm behind a Flatten); or, when <see cref="Initializer"/> is
/// <see langword="null"/>, set <see cref="GroupNode"/>'s <c>group</c> attribute to the channels that remain.
/// </summary>
internal sealed record ChannelEdit(string? Initializer, int Axis, ChannelSegment[] Channels, long Block, Onnx.Proto.NodeProto? GroupNode = null);

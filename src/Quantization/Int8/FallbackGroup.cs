using EdgeAI.Quantization.Onnx;

namespace EdgeAI.Quantization.Int8;

/// <summary>Nodes a fallback search tries in fp32 together.</summary>
/// <param name="Name">A short identifier: the node's name for a single layer, e.g. <c>block:p2o.Conv.20</c> or <c>op:MaxPool</c> for a group.</param>
/// <param name="Label">What a report shows: the node's label, or a description of the group.</param>
/// <param name="Nodes">The nodes, in graph order.</param>
internal sealed record FallbackGroup(string Name, string Label, IReadOnlyList<OnnxNode> Nodes)
{
    /// <summary>A single layer.</summary>
    public static FallbackGroup Of(OnnxNode node) => new(node.Name, node.Label, [node]);
}

namespace EdgeAI.Inference;

/// <summary>
/// ONNX Runtime session settings a model variant needs, recorded in the manifest by whoever measured it
/// (for example the quantizer, which knows an int8 graph is only fast with some optimizers disabled).
/// </summary>
public sealed class SessionSettings
{
    /// <summary>Threads inside one operator; 0 lets ONNX Runtime choose (one per core).</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>Threads across operators when <see cref="ExecutionMode"/> is <c>parallel</c>; 0 lets ONNX Runtime choose.</summary>
    public int InterOpThreads { get; init; }

    /// <summary>Graph optimization level: <c>disabled</c>, <c>basic</c>, <c>extended</c> or <c>all</c> (default).</summary>
    public string GraphOptimizationLevel { get; init; } = "all";

    /// <summary><c>sequential</c> (default) or <c>parallel</c>.</summary>
    public string ExecutionMode { get; init; } = "sequential";

    /// <summary>
    /// ONNX Runtime graph transformers to turn off, by name (session config
    /// <c>optimization.disable_specified_optimizers</c>), e.g. <c>QDQPropagationTransformer</c>.
    /// </summary>
    public string[] DisabledOptimizers { get; init; } = [];

    /// <summary>Further ONNX Runtime session config entries, passed through unchanged.</summary>
    public Dictionary<string, string> ConfigEntries { get; init; } = [];
}

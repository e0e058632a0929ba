namespace EdgeAI.Inference;

/// <summary>
/// ONNX Runtime session settings a model variant needs, recorded in the manifest by whoever measured it
/// (for example the quantizer, which knows an int8 graph is only fast with some optimizers disabled).
/// </summary>
public sealed class SessionSettings
{
    /// <summary>Threads inside one operator; 0 lets ONNX Runtime choose (one per core).</summary>
    public int IntraOpThreads { get; set; }

    /// <summary>Threads across operators when <see cref="ExecutionMode"/> is <c>parallel</c>; 0 lets ONNX Runtime choose.</summary>
    public int InterOpThreads { get; set; }

    /// <summary>Graph optimization level: <c>disabled</c>, <c>basic</c>, <c>extended</c> or <c>all</c> (default).</summary>
    public string GraphOptimizationLevel { get; set; } = "all";

    /// <summary><c>sequential</c> (default) or <c>parallel</c>.</summary>
    public string ExecutionMode { get; set; } = "sequential";

    /// <summary>
    /// ONNX Runtime graph transformers to turn off, by name (session config
    /// <c>optimization.disable_specified_optimizers</c>), e.g. <c>QDQPropagationTransformer</c>.
    /// </summary>
    public string[] DisabledOptimizers { get; set; } = [];

    /// <summary>Further ONNX Runtime session config entries, passed through unchanged.</summary>
    public Dictionary<string, string> ConfigEntries { get; set; } = [];
}

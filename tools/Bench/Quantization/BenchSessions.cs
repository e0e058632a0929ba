using EdgeAI.Quantization.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace EdgeAI.Bench.Quantization;

/// <summary>How the quantization benchmarks open a model: one intra-op thread, every graph optimization (fp32 gets its NCHWc kernels).</summary>
internal static class BenchSessions
{
    /// <summary>A session for <paramref name="model"/>; an int8 one disables QDQPropagationTransformer, as the quantizer's manifest variant says.</summary>
    public static InferenceSession Create(OnnxModel model, bool int8)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        if (int8)
        {
            options.AddSessionConfigEntry("optimization.disable_specified_optimizers", "QDQPropagationTransformer");
        }

        return new InferenceSession(model.ToBytes(), options);
    }
}

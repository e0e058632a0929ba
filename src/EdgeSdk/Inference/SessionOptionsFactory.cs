using Microsoft.ML.OnnxRuntime;

namespace EdgeAI.Inference;

internal static class SessionOptionsFactory
{
    public static SessionOptions Create(SessionSettings settings, int? intraOpOverride)
    {
        var options = new SessionOptions();
        try
        {
            options.GraphOptimizationLevel = settings.GraphOptimizationLevel switch
            {
                "disabled" => GraphOptimizationLevel.ORT_DISABLE_ALL,
                "basic" => GraphOptimizationLevel.ORT_ENABLE_BASIC,
                "extended" => GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
                _ => GraphOptimizationLevel.ORT_ENABLE_ALL,
            };
            options.ExecutionMode = settings.ExecutionMode == "parallel" ? ExecutionMode.ORT_PARALLEL : ExecutionMode.ORT_SEQUENTIAL;
            var intra = intraOpOverride ?? settings.IntraOpThreads;
            if (intra > 0)
            {
                options.IntraOpNumThreads = intra;
            }

            if (settings.InterOpThreads > 0)
            {
                options.InterOpNumThreads = settings.InterOpThreads;
            }

            if (settings.DisabledOptimizers.Length > 0)
            {
                options.AddSessionConfigEntry("optimization.disable_specified_optimizers", string.Join(",", settings.DisabledOptimizers));
            }

            foreach (var (key, value) in settings.ConfigEntries)
            {
                options.AddSessionConfigEntry(key, value);
            }

            return options;
        }
        catch
        {
            options.Dispose();
            throw;
        }
    }
}

using System.Globalization;
using EdgeAI.DefectData;
using EdgeAI.Inference;

namespace EdgeAI.DefectEval;

/// <summary>
/// Per-variant decision thresholds: every variant but fp32 gets its own <c>defect</c> threshold, picked on the
/// VALIDATION surfaces at the operating point of the top-level (fp32) one, 2% false rejects. A pruned or quantized
/// model's scores shift (the fp32 threshold gave a pruned model 12.8% false rejects), so it needs its own.
/// </summary>
internal static class VariantThresholds
{
    public const string Name = "defect";

    /// <summary>The variant whose threshold is the manifest's top-level one (picked by the trainer on TorchSharp's outputs).</summary>
    public const string Reference = "fp32";

    /// <summary>Thresholds agree when within this (float32 scores, other CPUs' int8 kernels).</summary>
    public const double Tolerance = 1e-4;

    /// <summary>The threshold each variant would get now (fp32's is reported for comparison only), from <paramref name="count"/> validation images.</summary>
    public static Dictionary<string, double> Pick(string modelDirectory, IEnumerable<string> variants, DefectDataset dataset, int count)
    {
        var picked = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var variant in variants)
        {
            var report = Evaluator.Run(modelDirectory, variant, dataset, count, split: SurfaceSplit.Validation);
            picked[variant] = report.ThresholdAtTargetFalseRejects;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{variant}: {Evaluator.FalseRejectTarget:P0} false rejects on {count} validation images at defect score > {report.ThresholdAtTargetFalseRejects:F6}"));
        }

        return picked;
    }

    /// <summary>Writes the picked thresholds into the manifest's non-fp32 variants (fp32 keeps the top-level one).</summary>
    public static void Apply(ModelManifest manifest, IReadOnlyDictionary<string, double> picked)
    {
        foreach (var (variant, threshold) in picked)
        {
            if (variant != Reference)
            {
                var entry = manifest.FindVariant(variant)!;
                entry.Thresholds ??= [];
                entry.Thresholds[Name] = threshold;
            }
        }
    }

    /// <summary>Differences between the picked thresholds and the manifest's; empty when every non-fp32 variant's reproduces.</summary>
    public static IReadOnlyList<string> Check(ModelManifest manifest, IReadOnlyDictionary<string, double> picked)
    {
        var problems = new List<string>();
        foreach (var (variant, threshold) in picked.Where(p => p.Key != Reference))
        {
            var own = manifest.FindVariant(variant)!.Thresholds;
            if (own is null || !own.TryGetValue(Name, out var recorded))
            {
                problems.Add($"{variant}: the manifest has no thresholds.{Name} for it; expected {threshold.ToString("R", CultureInfo.InvariantCulture)} (2% false rejects on validation), written by --write-manifest");
            }
            else if (Math.Abs(recorded - threshold) > Tolerance)
            {
                problems.Add($"{variant} thresholds.{Name}: measured {threshold.ToString("G6", CultureInfo.InvariantCulture)}, manifest {recorded.ToString("G6", CultureInfo.InvariantCulture)}");
            }
        }

        return problems;
    }
}

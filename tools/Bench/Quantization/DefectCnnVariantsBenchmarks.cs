using BenchmarkDotNet.Attributes;
using EdgeAI.DefectData;
using EdgeAI.Inference;
using EdgeAI.TestSupport;

namespace EdgeAI.Bench.Quantization;

/// <summary>
/// The shipped variants of models/defect-cnn as a device loads them (<see cref="EdgeModel"/>: hash-checked file, the
/// manifest's session settings per variant, one intra-op thread) in the same run: fp32, int8, pruned (channel-pruned and
/// fine-tuned) and pruned-int8, at batch 1 and 8 on test-split pictures. Read the ratio column. A variant missing from the
/// manifest fails the setup, so the comparison never silently drops one.
/// </summary>
public class DefectCnnVariantsBenchmarks
{
    private const int Side = DefectDataset.ImageSize;
    private readonly Dictionary<string, (EdgeModel Model, ModelRunner Runner)> _variants = new(StringComparer.Ordinal);

    /// <summary>Pictures per call.</summary>
    [Params(1, 8)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var directory = Path.Combine(RepoPaths.Models, "defect-cnn");
        var dataset = DefectDataset.Create(DefectDataset.DefaultSeed);
        foreach (var name in new[] { "fp32", "int8", "pruned", "pruned-int8" })
        {
            var model = EdgeModel.Load(directory, new EdgeModelOptions { Variant = name, IntraOpThreads = 1 });
            var camSide = model.Outputs.Single(o => o.Name == "cam").Shape[2];
            var classes = model.Manifest.Labels.Length;
            var runner = model.CreateRunner(new Dictionary<string, long[]>
            {
                ["image"] = [Batch, 3, Side, Side],
                ["logits"] = [Batch, classes],
                ["cam"] = [Batch, classes, camSide, camSide],
            });
            var input = runner.Input<float>("image");
            var pre = model.Manifest.Preprocessing!;
            for (var i = 0; i < Batch; i++)
            {
                dataset.Generate(SurfaceSplit.Test, i).WriteChw(input.Slice(i * 3 * Side * Side, 3 * Side * Side), pre.Mean!, pre.Std!);
            }

            _variants[name] = (model, runner);
        }
    }

    [Benchmark(Baseline = true, Description = "defect-cnn fp32")]
    public float Fp32() => Run("fp32");

    [Benchmark(Description = "defect-cnn int8")]
    public float Int8() => Run("int8");

    [Benchmark(Description = "defect-cnn pruned (fine-tuned)")]
    public float Pruned() => Run("pruned");

    [Benchmark(Description = "defect-cnn pruned-int8")]
    public float PrunedInt8() => Run("pruned-int8");

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var (model, runner) in _variants.Values)
        {
            runner.Dispose();
            model.Dispose();
        }

        _variants.Clear();
    }

    private float Run(string variant)
    {
        // The runner's buffers are preallocated: the timed call allocates nothing.
        var runner = _variants[variant].Runner;
        runner.Run();
        return runner.Output<float>("logits")[0];
    }
}

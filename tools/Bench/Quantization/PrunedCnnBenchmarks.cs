using BenchmarkDotNet.Attributes;
using EdgeAI.Quantization.Calibration;
using EdgeAI.Quantization.Int8;
using EdgeAI.Quantization.Onnx;
using EdgeAI.Quantization.Pruning;
using EdgeAI.TestSupport;
using Microsoft.ML.OnnxRuntime;

namespace EdgeAI.Bench.Quantization;

/// <summary>
/// The committed defect CNN (models/defect-cnn/model.fp32.onnx, depthwise-separable) in four forms in the same run:
/// fp32, structurally pruned (half the channels of every prunable layer, kept counts rounded to 8), its static int8,
/// and static int8 of the unpruned model. One ONNX Runtime thread; int8 sessions disable QDQPropagationTransformer as
/// the quantizer's manifest variant says; 16 synthetic calibration images. Read the ratio column.
/// </summary>
public class PrunedCnnBenchmarks
{
    private const int Size = 64;
    private readonly List<InferenceSession> _sessions = [];
    private InferenceSession? _fp32;
    private InferenceSession? _pruned;
    private InferenceSession? _prunedInt8;
    private InferenceSession? _int8;
    private OrtValue? _input;
    private RunOptions? _runOptions;

    /// <summary>Fraction of channels removed from each prunable layer.</summary>
    [Params(0.5)]
    public double PruneRatio { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var (model, _) = ModelPreparer.Prepare(OnnxModel.Load(Path.Combine(RepoPaths.Models, "defect-cnn", "model.fp32.onnx")));
        var samples = Enumerable.Range(0, 16)
            .Select(i => (IReadOnlyDictionary<string, NpyArray>)new Dictionary<string, NpyArray> { ["image"] = NpyArray.FromSingles(Image(i), 1, 3, Size, Size) })
            .ToList();
        var pruned = ChannelPruner.Prune(model, new PruningOptions { Ratio = PruneRatio, ChannelMultiple = 8 }).Model;
        _fp32 = Session(model, int8: false);
        _pruned = Session(pruned, int8: false);
        _prunedInt8 = Session(StaticQuantizer.Quantize(pruned, Calibrator.Calibrate(pruned, samples)).Model, int8: true);
        _int8 = Session(StaticQuantizer.Quantize(model, Calibrator.Calibrate(model, samples)).Model, int8: true);
        _input = OrtValue.CreateTensorValueFromMemory(Image(100), [1, 3, Size, Size]);
        _runOptions = new RunOptions();
    }

    [Benchmark(Baseline = true, Description = "fp32")]
    public float Fp32() => Run(_fp32!);

    [Benchmark(Description = "pruned fp32")]
    public float Pruned() => Run(_pruned!);

    [Benchmark(Description = "pruned int8")]
    public float PrunedInt8() => Run(_prunedInt8!);

    [Benchmark(Description = "int8 (unpruned)")]
    public float Int8() => Run(_int8!);

    [GlobalCleanup]
    public void Cleanup()
    {
        _sessions.ForEach(s => s.Dispose());
        _input?.Dispose();
        _runOptions?.Dispose();
    }

    private InferenceSession Session(OnnxModel model, bool int8)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        if (int8)
        {
            options.AddSessionConfigEntry("optimization.disable_specified_optimizers", "QDQPropagationTransformer");
        }

        var session = new InferenceSession(model.ToSelfContainedBytes(), options);
        _sessions.Add(session);
        return session;
    }

    private float Run(InferenceSession session)
    {
        using var outputs = session.Run(_runOptions!, ["image"], [_input!], ["logits"]);
        return outputs[0].GetTensorDataAsSpan<float>()[0];
    }

    /// <summary>A smooth normalized texture with noise, roughly what the model's preprocessing delivers.</summary>
    private static float[] Image(int seed)
    {
        var random = new Random(seed);
        var (fx, fy, phase) = (random.NextDouble() * 0.3, random.NextDouble() * 0.3, random.NextDouble() * 6);
        return [.. Enumerable.Range(0, 3 * Size * Size).Select(i => (float)((Math.Sin((fx * (i % Size)) + (fy * (i / Size % Size)) + phase) * 1.5) + ((random.NextDouble() - 0.5) * 0.5)))];
    }
}

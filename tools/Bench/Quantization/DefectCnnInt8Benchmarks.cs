using BenchmarkDotNet.Attributes;
using EdgeAI.DefectData;
using EdgeAI.Inference;
using EdgeAI.Quantization.Calibration;
using EdgeAI.Quantization.Int8;
using EdgeAI.Quantization.Onnx;
using EdgeAI.TestSupport;
using Microsoft.ML.OnnxRuntime;

namespace EdgeAI.Bench.Quantization;

/// <summary>
/// The committed defect classifier (models/defect-cnn: stem Conv, stride-2 Conv, four depthwise-separable blocks, 1×1 head
/// to CAM, GlobalAveragePool) in fp32 against static int8 in the same run, at batch 1 and 8: int8 everywhere, and int8 with
/// the stem Conv (3 input channels) kept fp32. Calibrated on 64 validation-split pictures, preprocessed as the manifest says;
/// timed on test-split pictures. One intra-op thread, graph optimizations "all" (fp32 gets its NCHWc kernels); the int8
/// sessions disable QDQPropagationTransformer as the quantizer's manifest variant says. Read the ratio column.
/// </summary>
public class DefectCnnInt8Benchmarks
{
    private const int Side = DefectDataset.ImageSize;
    private const int Classes = 6;
    private const int CamSide = 16;
    private static readonly string[] InputNames = ["image"];
    private static readonly string[] OutputNames = ["logits", "cam"];

    private InferenceSession? _fp32;
    private InferenceSession? _int8;
    private InferenceSession? _int8StemFp32;
    private InferenceSession? _int8DepthwiseFp32;
    private OrtValue? _input;
    private OrtValue[] _outputs = [];
    private RunOptions? _runOptions;

    /// <summary>Pictures per call.</summary>
    [Params(1, 8)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var directory = Path.Combine(RepoPaths.Models, "defect-cnn");
        var manifest = ModelManifestReader.Read(Path.Combine(directory, ModelManifest.FileName));
        var (model, _) = ModelPreparer.Prepare(OnnxModel.Load(Path.Combine(directory, manifest.FindVariant("fp32")!.File)));
        var dataset = DefectDataset.Create(DefectDataset.DefaultSeed);
        var mean = manifest.Preprocessing!.Mean!;
        var std = manifest.Preprocessing.Std!;
        float[] Picture(SurfaceSplit split, int index)
        {
            var chw = new float[3 * Side * Side];
            dataset.Generate(split, index).WriteChw(chw, mean, std);
            return chw;
        }

        var samples = Enumerable.Range(0, 64)
            .Select(i => (IReadOnlyDictionary<string, NpyArray>)new Dictionary<string, NpyArray> { ["image"] = NpyArray.FromSingles(Picture(SurfaceSplit.Validation, i), 1, 3, Side, Side) })
            .ToList();
        var ranges = Calibrator.Calibrate(model, samples);
        var stemFp32 = new StaticQuantizationOptions();
        stemFp32.ExcludedNodes.Add("stem_conv");

        _fp32 = BenchSessions.Create(model, int8: false);
        _int8 = BenchSessions.Create(StaticQuantizer.Quantize(model, ranges).Model, int8: true);
        _int8StemFp32 = BenchSessions.Create(StaticQuantizer.Quantize(model, ranges, stemFp32).Model, int8: true);
        var depthwise = FallbackCandidates.Groups(model, StaticQuantizer.Quantize(model, ranges, stemFp32)).Single(g => g.Name == "op:depthwise-Conv");
        _int8DepthwiseFp32 = BenchSessions.Create(StaticQuantizer.Quantize(model, ranges, FallbackCandidates.Excluding(stemFp32, depthwise.Nodes.Select(n => n.Name))).Model, int8: true);
        _input = OrtValue.CreateTensorValueFromMemory(Enumerable.Range(0, Batch).SelectMany(i => Picture(SurfaceSplit.Test, i)).ToArray(), [Batch, 3, Side, Side]);
        _outputs =
        [
            OrtValue.CreateTensorValueFromMemory(new float[Batch * Classes], [Batch, Classes]),
            OrtValue.CreateTensorValueFromMemory(new float[Batch * Classes * CamSide * CamSide], [Batch, Classes, CamSide, CamSide]),
        ];
        _runOptions = new RunOptions();
    }

    [Benchmark(Baseline = true, Description = "defect-cnn fp32")]
    public float Fp32() => Run(_fp32!);

    [Benchmark(Description = "defect-cnn int8 (static QDQ, uint8 activations)")]
    public float Int8() => Run(_int8!);

    [Benchmark(Description = "defect-cnn int8, stem Conv fp32")]
    public float Int8StemFp32() => Run(_int8StemFp32!);

    [Benchmark(Description = "defect-cnn int8, stem Conv and every depthwise Conv fp32")]
    public float Int8StemAndDepthwiseFp32() => Run(_int8DepthwiseFp32!);

    [GlobalCleanup]
    public void Cleanup()
    {
        _fp32?.Dispose();
        _int8?.Dispose();
        _int8StemFp32?.Dispose();
        _int8DepthwiseFp32?.Dispose();
        _input?.Dispose();
        foreach (var output in _outputs)
        {
            output.Dispose();
        }

        _runOptions?.Dispose();
    }

    private float Run(InferenceSession session)
    {
        // Outputs are written into preallocated OrtValues: the timed call allocates no tensors.
        session.Run(_runOptions!, InputNames, [_input!], OutputNames, _outputs);
        return _outputs[0].GetTensorDataAsSpan<float>()[0];
    }
}

using BenchmarkDotNet.Attributes;
using EdgeAI.Quantization.Calibration;
using EdgeAI.Quantization.Int8;
using EdgeAI.Quantization.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace EdgeAI.Bench.Quantization;

/// <summary>
/// The third-party PaddleOCR direction classifier (MobileNetV3, 3×48×192; fetched by the Quantization tests with npm into
/// <c>$EDGEAI_NPM_CACHE</c>) in fp32 against static int8 variants in the same run: all int8; the latency-guided groups
/// alone (all 11 depthwise Conv fp32; the MaxPool fp32; both); and the blocks the latency-guided search tries. One intra-op
/// thread; int8 sessions disable QDQPropagationTransformer. Calibrated on 8 synthetic striped lines (latency does not depend
/// on the ranges). Read the ratio column.
/// </summary>
public class OcrClassifierInt8Benchmarks
{
    private const int Height = 48, Width = 192;
    private const string ModelFile = "gutenye+ocr-models-1.4.2/package/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx";
    private static readonly string[] InputNames = ["x"];

    private readonly Dictionary<string, InferenceSession> _sessions = new(StringComparer.Ordinal);
    private OrtValue? _input;
    private OrtValue? _output;
    private string[] _outputNames = [];
    private RunOptions? _runOptions;

    [GlobalSetup]
    public void Setup()
    {
        var cache = Environment.GetEnvironmentVariable("EDGEAI_NPM_CACHE") ?? "";
        var path = Path.Combine(cache, ModelFile);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The PaddleOCR classifier is not at '{path}'. Run the Quantization tests once with EDGEAI_NPM_CACHE set to a directory (they fetch it with npm pack), then set EDGEAI_NPM_CACHE to the same directory here.");
        }

        var (model, _) = ModelPreparer.Prepare(OnnxModel.Load(path));
        var samples = Enumerable.Range(0, 8).Select(i => (IReadOnlyDictionary<string, NpyArray>)new Dictionary<string, NpyArray> { ["x"] = NpyArray.FromSingles(Line(i), 1, 3, Height, Width) }).ToList();
        var ranges = Calibrator.Calibrate(model, samples);
        var full = StaticQuantizer.Quantize(model, ranges);
        var groups = FallbackCandidates.Groups(model, full).ToDictionary(g => g.Name, StringComparer.Ordinal);
        OnnxModel Without(params string[] groupNames) =>
            StaticQuantizer.Quantize(model, ranges, FallbackCandidates.Excluding(new StaticQuantizationOptions(), groupNames.SelectMany(g => groups[g].Nodes).Select(n => n.Name))).Model;

        _sessions["fp32"] = BenchSessions.Create(model, int8: false);
        _sessions["int8"] = BenchSessions.Create(full.Model, int8: true);
        _sessions["dw"] = BenchSessions.Create(Without("op:depthwise-Conv"), int8: true);
        _sessions["maxpool"] = BenchSessions.Create(Without("op:MaxPool"), int8: true);
        _sessions["dw+maxpool"] = BenchSessions.Create(Without("op:depthwise-Conv", "op:MaxPool"), int8: true);
        _sessions["blocks"] = BenchSessions.Create(Without([.. groups.Keys.Where(k => k.StartsWith("block:", StringComparison.Ordinal))]), int8: true);
        _input = OrtValue.CreateTensorValueFromMemory(Line(100), [1, 3, Height, Width]);
        _outputNames = [_sessions["fp32"].OutputNames[0]];
        _output = OrtValue.CreateTensorValueFromMemory(new float[2], [1, 2]);
        _runOptions = new RunOptions();
    }

    [Benchmark(Baseline = true, Description = "OCR cls fp32")]
    public float Fp32() => Run("fp32");

    [Benchmark(Description = "OCR cls int8 (all)")]
    public float Int8() => Run("int8");

    [Benchmark(Description = "OCR cls int8, depthwise Conv fp32")]
    public float DepthwiseFp32() => Run("dw");

    [Benchmark(Description = "OCR cls int8, MaxPool fp32")]
    public float MaxPoolFp32() => Run("maxpool");

    [Benchmark(Description = "OCR cls int8, depthwise Conv + MaxPool fp32")]
    public float DepthwiseAndMaxPoolFp32() => Run("dw+maxpool");

    [Benchmark(Description = "OCR cls int8, every multi-layer block fp32")]
    public float BlocksFp32() => Run("blocks");

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var session in _sessions.Values)
        {
            session.Dispose();
        }

        _input?.Dispose();
        _output?.Dispose();
        _runOptions?.Dispose();
    }

    /// <summary>Dark strokes on a light background, normalized as PaddleOCR does ((v − 0.5) / 0.5).</summary>
    private static float[] Line(int seed)
    {
        var random = new Random(seed);
        var line = new float[3 * Height * Width];
        for (var i = 0; i < line.Length; i++)
        {
            var x = i % Width;
            var y = i / Width % Height;
            var ink = y is > 14 and < 34 && (x + seed) % 11 < 3;
            line[i] = (float)((((ink ? 0.15 : 0.9) + ((random.NextDouble() - 0.5) * 0.04)) - 0.5) / 0.5);
        }

        return line;
    }

    private float Run(string variant)
    {
        // The output is written into a preallocated OrtValue: the timed call allocates no tensors.
        _sessions[variant].Run(_runOptions!, InputNames, [_input!], _outputNames, [_output!]);
        return _output!.GetTensorDataAsSpan<float>()[0];
    }
}

using BenchmarkDotNet.Attributes;
using EdgeAI.Inference;
using EdgeAI.TestSupport;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeAI.Bench;

/// <summary>
/// EdgeModel's runner (I/O binding over pinned, preallocated buffers) against the common
/// InferenceSession.Run with NamedOnnxValue on the same model, session settings and input.
/// The ratio column is the figure to read; absolute times depend on the machine.
/// </summary>
[MemoryDiagnoser]
public class InferenceRunBenchmarks
{
    private TempDirectory? _dir;
    private EdgeModel? _model;
    private ModelRunner? _runner;
    private InferenceSession? _session;
    private DenseTensor<float>? _input;

    [GlobalSetup]
    public void Setup()
    {
        _dir = new TempDirectory();
        TinyModels.WriteLinearModelDirectory(_dir.Path);
        _model = EdgeModel.Load(_dir.Path);
        _runner = _model.CreateRunner();
        _runner.SetInput<float>(0, TinyModels.SampleInput);
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        _session = new InferenceSession(Path.Combine(_dir.Path, "model.fp32.onnx"), options);
        _input = new DenseTensor<float>(TinyModels.SampleInput.ToArray(), [1, TinyModels.InputSize]);
    }

    [Benchmark(Baseline = true, Description = "InferenceSession.Run(NamedOnnxValue)")]
    public float NamedOnnxValueRun()
    {
        using var results = _session!.Run([NamedOnnxValue.CreateFromTensor("x", _input!)]);
        return results[0].AsTensor<float>()[0, 0];
    }

    [Benchmark(Description = "EdgeModel ModelRunner.Run")]
    public float EdgeModelRun()
    {
        _runner!.Run();
        return _runner.Output<float>(0)[0];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _runner?.Dispose();
        _model?.Dispose();
        _session?.Dispose();
        _dir?.Dispose();
    }
}

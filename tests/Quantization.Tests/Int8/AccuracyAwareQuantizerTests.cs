using EdgeAI.Quantization.Calibration;
using EdgeAI.Quantization.Int8;
using EdgeAI.Quantization.Onnx;
using EdgeAI.Quantization.Tests.Cli;
using Microsoft.ML.OnnxRuntime;

namespace EdgeAI.Quantization.Tests.Int8;

public sealed class AccuracyAwareQuantizerTests
{
    [Fact]
    public void A_budget_int8_already_meets_keeps_everything_quantized()
    {
        var (model, ranges, samples) = Setup();

        var result = AccuracyAwareQuantizer.Quantize(model, ranges, samples, new AccuracyAwareOptions { MinCosine = 0.9 });

        Assert.True(result.BudgetMet);
        Assert.Empty(result.KeptFp32);
        Assert.Equal(5, result.Quantization.QuantizedNodes.Count); // 4 weighted nodes and the Flatten between them, run on int8 data
        Assert.Equal(4, result.Sensitivities.Count); // a pass-through node has no sensitivity of its own
        Assert.Equal(result.Sensitivities.OrderBy(s => s.SqnrDb).Select(s => s.Node), result.Sensitivities.Select(s => s.Node));
        Assert.All(result.Sensitivities, s => Assert.InRange(s.SqnrDb, 10, 80)); // 8-bit: ~6 dB per bit at best
    }

    [Fact]
    public void A_strict_budget_keeps_the_most_sensitive_layers_fp32_until_it_is_met()
    {
        var (model, ranges, samples) = Setup();
        var full = AccuracyAwareQuantizer.Quantize(model, ranges, samples, new AccuracyAwareOptions { MinCosine = 0.9 });
        var floor = Math.Min(0.99999, 1 - ((1 - full.MinCosine) / 10)); // ten times closer to fp32 than full int8

        var result = AccuracyAwareQuantizer.Quantize(model, ranges, samples, new AccuracyAwareOptions { MinCosine = floor });

        Assert.NotEmpty(result.KeptFp32);
        Assert.Equal(result.Sensitivities.Take(result.KeptFp32.Count).Select(s => s.Node), result.KeptFp32);
        Assert.True(result.BudgetMet);
        Assert.True(result.MinCosine >= floor, $"{result.MinCosine} < {floor}");
        // Independent check of the reported cosine: own sessions, own arithmetic (tolerance 1e-9).
        Assert.Equal(WorstCosine(model.ToBytes(), result.Quantization.Model.ToBytes()), result.MinCosine, 1e-9);
    }

    private static (OnnxModel Model, CalibrationResult Ranges, List<IReadOnlyDictionary<string, NpyArray>> Samples) Setup()
    {
        var model = CliModels.Cnn();
        var samples = Enumerable.Range(0, 16)
            .Select(i => (IReadOnlyDictionary<string, NpyArray>)new Dictionary<string, NpyArray> { ["x"] = NpyArray.FromSingles(CliModels.Image(700 + i), 1, 1, 8, 8) })
            .ToList();
        return (model, Calibrator.Calibrate(model, samples), samples);
    }

    private static double WorstCosine(byte[] fp32, byte[] int8)
    {
        using var referenceOptions = new SessionOptions { IntraOpNumThreads = 1 };
        using var candidateOptions = new SessionOptions { IntraOpNumThreads = 1 };
        candidateOptions.AddSessionConfigEntry("optimization.disable_specified_optimizers", "QDQPropagationTransformer");
        using var reference = new InferenceSession(fp32, referenceOptions);
        using var candidate = new InferenceSession(int8, candidateOptions);
        var worst = 1.0;
        for (var i = 0; i < 16; i++)
        {
            var x = CliModels.Image(700 + i);
            var a = Run(reference, x);
            var b = Run(candidate, x);
            worst = Math.Min(worst, OrtHelper.Cosine(a, b));
        }

        return worst;
    }

    private static float[] Run(InferenceSession session, float[] x)
    {
        using var input = OrtValue.CreateTensorValueFromMemory(x, [1, 1, 8, 8]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["x"], [input], ["y"]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }
}

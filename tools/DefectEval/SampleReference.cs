using System.Runtime.InteropServices;
using EdgeAI.Inference;

namespace EdgeAI.DefectEval;

/// <summary>
/// Self-test reference outputs of a variant that has no TorchSharp reference (int8, pruned, pruned-int8): ONNX Runtime's outputs for
/// the manifest's sample input on that variant's file and session settings, written next to the sample and listed
/// in <c>sample.expected</c>.
/// </summary>
internal static class SampleReference
{
    /// <summary>
    /// Tolerance as a fraction of each output's largest magnitude. Quantized kernels on other CPUs (ARM's QLinearConv,
    /// other requantization rounding) may land one int8 step away in some intermediate tensor; 2% of the range
    /// allows a few such steps yet fails on a wrong or corrupted model (those move outputs by tens of percent).
    /// </summary>
    public const double RelativeTolerance = 0.02;

    public static IReadOnlyList<ExpectedOutput> Write(string modelDirectory, ModelManifest manifest, string variant)
    {
        var sample = manifest.Sample ?? throw new InvalidOperationException($"Manifest of '{manifest.Name}' has no sample input.");
        using var model = EdgeModel.Load(modelDirectory, new EdgeModelOptions { Variant = variant });
        using var runner = model.CreateRunner();
        for (var i = 0; i < model.Inputs.Count; i++)
        {
            var name = model.Inputs[i].Name;
            var file = sample.Inputs.TryGetValue(name, out var f) ? f : throw new InvalidOperationException($"The manifest's sample has no file for input '{name}'.");
            var bytes = File.ReadAllBytes(Path.Combine(modelDirectory, file));
            var target = runner.InputBytes(i);
            if (bytes.Length != target.Length)
            {
                throw new InvalidOperationException($"Sample input '{file}' has {bytes.Length} bytes; input '{name}' needs {target.Length}.");
            }

            bytes.CopyTo(target);
        }

        runner.Run();
        var expected = new List<ExpectedOutput>();
        foreach (var output in manifest.Outputs)
        {
            var values = runner.Output<float>(output.Name);
            var file = $"sample/{variant}.{output.Name}.bin";
            File.WriteAllBytes(Path.Combine(modelDirectory, file), MemoryMarshal.AsBytes(values).ToArray());
            var largest = 0.0;
            foreach (var v in values)
            {
                largest = Math.Max(largest, Math.Abs(v));
            }

            expected.Add(new ExpectedOutput { Variant = variant, Output = output.Name, File = file, Tolerance = Math.Round(Math.Max(largest, 1) * RelativeTolerance, 4) });
        }

        sample.Expected = [.. sample.Expected.Where(e => e.Variant != variant), .. expected];
        return expected;
    }
}

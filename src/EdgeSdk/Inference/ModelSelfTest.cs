using System.Diagnostics;
using System.Runtime.InteropServices;

namespace EdgeAI.Inference;

/// <summary>
/// Proves that models work on this device: loads every variant, runs it on the bundled sample input
/// and compares its outputs with the reference values in the manifest.
/// </summary>
public static class ModelSelfTest
{
    /// <summary>Model directories (those holding a <c>manifest.json</c>) directly under <paramref name="modelsRoot"/>, sorted by name.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public static IReadOnlyList<string> DiscoverModels(string modelsRoot)
    {
        if (!Directory.Exists(modelsRoot))
        {
            throw new DirectoryNotFoundException($"Models folder '{modelsRoot}' does not exist.");
        }

        return Directory.GetDirectories(modelsRoot)
            .Where(d => File.Exists(Path.Combine(d, ModelManifest.FileName)))
            .Order(StringComparer.Ordinal)
            .ToArray();
    }

    /// <summary>Tests every variant of every model under <paramref name="modelsRoot"/>.</summary>
    /// <param name="modelsRoot">Folder of model directories.</param>
    /// <param name="cancellationToken">Checked between variants (loading one is not interruptible).</param>
    /// <exception cref="OperationCanceledException">Cancelled between two variants.</exception>
    public static IReadOnlyList<SelfTestResult> RunAll(string modelsRoot, CancellationToken cancellationToken = default)
    {
        var results = new List<SelfTestResult>();
        foreach (var dir in DiscoverModels(modelsRoot))
        {
            results.AddRange(RunModel(dir, cancellationToken));
        }

        return results;
    }

    /// <summary>Tests every variant of the model in <paramref name="modelDirectory"/>. Never throws for a bad model: failures are results.</summary>
    /// <param name="modelDirectory">The model directory.</param>
    /// <param name="cancellationToken">Checked between variants.</param>
    /// <exception cref="OperationCanceledException">Cancelled between two variants.</exception>
    public static IReadOnlyList<SelfTestResult> RunModel(string modelDirectory, CancellationToken cancellationToken = default)
    {
        ModelManifest manifest;
        try
        {
            manifest = ModelManifestReader.Read(Path.Combine(modelDirectory, ModelManifest.FileName));
        }
        catch (Exception ex) when (ex is EdgeModelException or IOException or UnauthorizedAccessException)
        {
            return [new SelfTestResult(Path.GetFileName(modelDirectory), "", false, double.NaN, double.NaN, 0, 0, ex.Message)];
        }

        if (manifest.Sample is null || manifest.Sample.Expected.Length == 0)
        {
            return [new SelfTestResult(manifest.Name, "", false, double.NaN, double.NaN, 0, 0,
                $"Manifest of '{manifest.Name}' has no sample with expected outputs; a self-test needs one.")];
        }

        var results = new SelfTestResult[manifest.Variants.Length];
        for (var i = 0; i < results.Length; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            results[i] = RunVariant(modelDirectory, manifest, manifest.Variants[i].Name);
        }

        return results;
    }

    private static SelfTestResult RunVariant(string dir, ModelManifest manifest, string variant)
    {
        var sample = manifest.Sample!;
        var expected = sample.Expected.Where(e => e.Variant == variant).ToArray();
        if (expected.Length == 0)
        {
            return new SelfTestResult(manifest.Name, variant, false, double.NaN, double.NaN, 0, 0, $"No expected output for variant '{variant}' in the manifest's sample.");
        }

        var tolerance = expected.Min(e => e.Tolerance);
        var sw = Stopwatch.StartNew();
        try
        {
            using var model = EdgeModel.Load(dir, new EdgeModelOptions { Variant = variant });
            var loadMs = sw.Elapsed.TotalMilliseconds;
            using var runner = model.CreateRunner();
            for (var i = 0; i < model.Inputs.Count; i++)
            {
                var spec = model.Inputs[i];
                if (!sample.Inputs.TryGetValue(spec.Name, out var file))
                {
                    return new SelfTestResult(manifest.Name, variant, false, double.NaN, tolerance, loadMs, 0, $"The manifest's sample has no file for input '{spec.Name}'.");
                }

                ReadExact(Path.Combine(dir, file), runner.InputBytes(i), $"sample input '{spec.Name}'");
            }

            runner.Run();
            sw.Restart();
            runner.Run();
            var runMs = sw.Elapsed.TotalMilliseconds;

            // Reported: the output that came closest to its own tolerance, with that tolerance (outputs differ: an int8
            // heatmap may be allowed 0.2 where its logits are allowed 0.1, and the pair must not mix the two).
            var (worst, worstTolerance, worstOutput, worstRatio) = (0.0, tolerance, "", -1.0);
            foreach (var e in expected)
            {
                var actual = runner.Output<float>(e.Output);
                var reference = new float[actual.Length];
                ReadExact(Path.Combine(dir, e.File), MemoryMarshal.AsBytes(reference.AsSpan()), $"expected output '{e.Output}'");
                var outputWorst = 0.0;
                for (var k = 0; k < actual.Length; k++)
                {
                    var diff = Math.Abs((double)actual[k] - reference[k]);
                    if (double.IsNaN(diff))
                    {
                        diff = double.PositiveInfinity;
                    }

                    outputWorst = Math.Max(outputWorst, diff);
                    if (diff > e.Tolerance)
                    {
                        return new SelfTestResult(manifest.Name, variant, false, diff, e.Tolerance, loadMs, runMs,
                            $"Output '{e.Output}'[{k}] is {actual[k]} but the reference is {reference[k]} (|diff| {diff:g3} > tolerance {e.Tolerance:g3}).");
                    }
                }

                var ratio = e.Tolerance > 0 ? outputWorst / e.Tolerance : outputWorst;
                if (ratio > worstRatio)
                {
                    (worst, worstTolerance, worstOutput, worstRatio) = (outputWorst, e.Tolerance, e.Output, ratio);
                }
            }

            return new SelfTestResult(manifest.Name, variant, true, worst, worstTolerance, loadMs, runMs,
                expected.Length > 1 ? $"ok (closest to its tolerance: '{worstOutput}')" : "ok");
        }
        catch (Exception ex) when (ex is EdgeModelException or IOException or UnauthorizedAccessException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
        {
            return new SelfTestResult(manifest.Name, variant, false, double.NaN, tolerance, sw.Elapsed.TotalMilliseconds, 0, ex.Message);
        }
    }

    private static void ReadExact(string path, Span<byte> target, string what)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read);
        if (stream.Length != target.Length)
        {
            throw new ModelFormatException($"Sample file '{path}' ({what}) is {stream.Length} bytes; expected {target.Length} (the tensor's element count times its element size).", path);
        }

        stream.ReadExactly(target);
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text;
using EdgeAI.DefectData;
using EdgeAI.DefectEval;
using EdgeAI.Inference;
using EdgeAI.Quantization.Calibration;

// Usage:
//   dotnet run -c Release --project tools/DefectEval -- [--model models/defect-cnn] [--variant fp32] [--count 3000] [--write-manifest] [--cam-preview DIR]
//     (--variant: a manifest variant, e.g. int8 from edgeai-quant; its report goes to metrics.<variant>.txt and --write-manifest into that variant)
//   dotnet run -c Release --project tools/DefectEval -- --verify      (rerun; exit 1 unless the manifest's test metrics reproduce)
//   dotnet run -c Release --project tools/DefectEval -- --export-demo models/defect-cnn/demo --count 8   (sample pictures for the demo)
//   dotnet run -c Release --project tools/DefectEval -- --preview out/defect-preview [--split test] [--count 24]
//   dotnet run -c Release --project tools/DefectEval -- --export-npy out/defect-calib --split validation --count 64   (model inputs as .npy, for edgeai-quant --calibration)
var model = "models/defect-cnn";
var variantName = "fp32";
var count = 3000;
var writeManifest = false;
var verify = false;
string? preview = null;
string? exportDemo = null;
string? exportNpy = null;
string? camPreview = null;
var split = SurfaceSplit.Test;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--model":
            model = args[++i];
            break;
        case "--variant":
            variantName = args[++i];
            break;
        case "--count":
            count = int.Parse(args[++i], CultureInfo.InvariantCulture);
            break;
        case "--write-manifest":
            writeManifest = true;
            break;
        case "--verify":
            verify = true;
            break;
        case "--preview":
            preview = args[++i];
            break;
        case "--export-demo":
            exportDemo = args[++i];
            break;
        case "--export-npy":
            exportNpy = args[++i];
            break;
        case "--cam-preview":
            camPreview = args[++i];
            break;
        case "--split":
            split = Enum.Parse<SurfaceSplit>(args[++i], ignoreCase: true);
            break;
        default:
            Console.Error.WriteLine($"Unknown argument '{args[i]}'. See the usage at the top of tools/DefectEval/Program.cs.");
            return 2;
    }
}

var dataset = DefectDataset.Create(DefectDataset.DefaultSeed);
Console.WriteLine($"data set: seed {dataset.Seed}, fingerprint {dataset.Fingerprint}");
foreach (var s in Enum.GetValues<SurfaceSplit>())
{
    Console.WriteLine($"  {s}: {string.Join(' ', dataset.SourcesOf(s).Select(x => x.Name))}");
}

if (exportDemo is not null)
{
    // Held-out (test-split) pictures as PNG files, named by their true label, for the demo's simulated camera.
    Directory.CreateDirectory(exportDemo);
    for (var i = 0; i < count; i++)
    {
        var sample = dataset.Generate(split, i);
        var file = Path.Combine(exportDemo, $"{i:00}-{sample.Label.ToString().ToLowerInvariant()}.png");
        File.WriteAllBytes(file, PngWriter.EncodeRgb(sample.Rgb, 64, 64));
        Console.WriteLine($"wrote {file}");
    }

    return 0;
}

if (exportNpy is not null)
{
    // Preprocessed exactly as the evaluation feeds the model (manifest mean/std, CHW), one [1, 3, 64, 64] sample per file.
    var pre = ModelManifestReader.Read(Path.Combine(model, ModelManifest.FileName)).Preprocessing
        ?? throw new InvalidOperationException($"{model}: the manifest has no preprocessing.");
    Directory.CreateDirectory(exportNpy);
    var chw = new float[3 * DefectDataset.ImageSize * DefectDataset.ImageSize];
    for (var i = 0; i < count; i++)
    {
        dataset.Generate(split, i).WriteChw(chw, pre.Mean ?? throw new InvalidOperationException("Manifest preprocessing has no mean."), pre.Std ?? throw new InvalidOperationException("Manifest preprocessing has no std."));
        NpyFile.Write(Path.Combine(exportNpy, $"{i:D4}.npy"), NpyArray.FromSingles(chw, 1, 3, DefectDataset.ImageSize, DefectDataset.ImageSize));
    }

    Console.WriteLine($"wrote {count} {split} samples to {exportNpy}");
    return 0;
}

if (preview is not null)
{
    Directory.CreateDirectory(preview);
    var sw = Stopwatch.StartNew();
    var samples = Enumerable.Range(0, count).Select(i => dataset.Generate(split, i)).ToArray();
    Console.WriteLine($"generated {count} samples in {sw.Elapsed.TotalMilliseconds:F0} ms");
    File.WriteAllBytes(Path.Combine(preview, $"{split}-grid.png"), Preview.Grid(samples, 8));
    Console.WriteLine($"wrote {Path.Combine(preview, $"{split}-grid.png")} (mask outlined in red below each image)");
    return 0;
}

var report = Evaluator.Run(model, dataset, count, camPreview, variantName);
Console.WriteLine(report.Text);
if (verify)
{
    // The model card's numbers must come back from the committed ONNX file and the regenerated data set.
    // Latency depends on the machine and is not compared; everything else is deterministic (1e-4 for rounding).
    var recorded = ModelManifestReader.Read(Path.Combine(model, ModelManifest.FileName)).FindVariant(variantName)!.Metrics;
    var mismatches = report.Metrics
        .Where(m => m.Key.StartsWith("test", StringComparison.Ordinal) && recorded.ContainsKey(m.Key))
        .Where(m => Math.Abs(m.Value - recorded[m.Key]) > 1e-4)
        .Select(m => $"{m.Key}: measured {m.Value.ToString("G6", CultureInfo.InvariantCulture)}, manifest {recorded[m.Key].ToString("G6", CultureInfo.InvariantCulture)}")
        .ToArray();
    var compared = report.Metrics.Count(m => m.Key.StartsWith("test", StringComparison.Ordinal) && recorded.ContainsKey(m.Key));
    foreach (var line in mismatches)
    {
        Console.Error.WriteLine("MISMATCH " + line);
    }

    Console.WriteLine($"verify: {compared - mismatches.Length} of {compared} recorded test metrics reproduced");
    return mismatches.Length == 0 && compared > 0 ? 0 : 1;
}

var reportPath = Path.Combine(model, variantName == "fp32" ? "metrics.txt" : $"metrics.{variantName}.txt");
File.WriteAllText(reportPath, report.Text, Encoding.UTF8);
Console.WriteLine($"wrote {reportPath}");
if (writeManifest)
{
    var manifestPath = Path.Combine(model, ModelManifest.FileName);
    var manifest = ModelManifestReader.Read(manifestPath);
    var variant = manifest.FindVariant(variantName) ?? throw new InvalidOperationException($"{manifestPath} has no {variantName} variant.");
    foreach (var (k, v) in report.Metrics)
    {
        variant.Metrics[k] = v;
    }

    ModelManifestReader.Write(manifest, manifestPath);
    Console.WriteLine($"wrote metrics of variant {variantName} into {manifestPath}");
}

return 0;

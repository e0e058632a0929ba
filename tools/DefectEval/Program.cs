using System.Diagnostics;
using System.Globalization;
using System.Text;
using EdgeAI.DefectData;
using EdgeAI.DefectEval;
using EdgeAI.Inference;

// Usage:
//   dotnet run -c Release --project tools/DefectEval -- [--model models/defect-cnn] [--variant NAME] [--count 3000] [--write-manifest] [--cam-preview DIR]
//        (every variant of the manifest unless --variant; --write-manifest first picks each non-fp32 variant's own defect threshold
//        at 2% false rejects on --validation-count validation images, then writes self-test references for non-fp32 variants)
//   dotnet run -c Release --project tools/DefectEval -- --verify      (rerun; exit 1 unless every variant's test metrics and threshold reproduce)
//   dotnet run -c Release --project tools/DefectEval -- --export-calibration DIR [--count 256]   (training images as .npy for edgeai-quant)
//   dotnet run -c Release --project tools/DefectEval -- --export-demo models/defect-cnn/demo --count 8   (sample pictures for the demo)
//   dotnet run -c Release --project tools/DefectEval -- --preview out/defect-preview [--split test] [--count 24] [--surface wood/2]
//        [--visibility LO:HI]   (--surface keeps only that surface's samples among the first --count x 50 of the split; --visibility
//        only defects whose DefectVisibility.Ratio is in [LO, HI), e.g. 1:2)
//   dotnet run -c Release --project tools/DefectEval -- --export-good DIR --surface skimage/gravel [--split test] [--count 300]
//        (good-part pictures of one held-out surface, from the stream the evaluation teaches thresholds from: try
//        `edgeai calibrate-threshold DIR` on them)
//        [--aggregate]   (the training split with the procedural stone aggregates: --split train --surface aggregate/fresh)
//        [--terrains]    (the training split with the ground photographs of extremetuxracer-data: --split train --surface etr-terrains/pebbles05)
//        [--terrain-validation]   (the validation split with three more such tiles, never trained on: --split validation)
//   any mode: --min-visibility X   the data definition; default: the model manifest's 'dataMinVisibility' metric (absent: the
//        current DefectDataset.DefaultMinVisibility; defect-cnn 1.0.0 records 0), DefaultMinVisibility without a manifest
var model = "models/defect-cnn";
int? countArg = null;
var validationCount = 3000;
string? variantArg = null;
string? exportCalibration = null;
var writeManifest = false;
var verify = false;
string? preview = null;
string? exportDemo = null;
string? exportGood = null;
string? camPreview = null;
string? surface = null;
(double Low, double High)? visibility = null;
double? minVisibilityArg = null;
var aggregate = false;
var terrains = false;
var terrainValidation = false;
var split = SurfaceSplit.Test;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--model":
            model = args[++i];
            break;
        case "--count":
            countArg = int.Parse(args[++i], CultureInfo.InvariantCulture);
            break;
        case "--validation-count":
            validationCount = int.Parse(args[++i], CultureInfo.InvariantCulture);
            break;
        case "--variant":
            variantArg = args[++i];
            break;
        case "--export-calibration":
            exportCalibration = args[++i];
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
        case "--export-good":
            exportGood = args[++i];
            break;
        case "--cam-preview":
            camPreview = args[++i];
            break;
        case "--surface":
            surface = args[++i];
            break;
        case "--min-visibility":
            minVisibilityArg = double.Parse(args[++i], CultureInfo.InvariantCulture);
            break;
        case "--visibility":
            var bounds = args[++i].Split(':');
            visibility = (double.Parse(bounds[0], CultureInfo.InvariantCulture), double.Parse(bounds[1], CultureInfo.InvariantCulture));
            break;
        case "--aggregate":
            aggregate = true;
            break;
        case "--terrains":
            terrains = true;
            break;
        case "--terrain-validation":
            terrainValidation = true;
            break;
        case "--split":
            split = Enum.Parse<SurfaceSplit>(args[++i], ignoreCase: true);
            break;
        default:
            Console.Error.WriteLine($"Unknown argument '{args[i]}'. See the usage at the top of tools/DefectEval/Program.cs.");
            return 2;
    }
}

var count = countArg ?? (exportCalibration is not null ? 256 : 3000);
// The data the model's metrics were measured on (its manifest says; --min-visibility overrides), so --verify regenerates them.
var manifestPath = Path.Combine(model, ModelManifest.FileName);
var modelManifest = File.Exists(manifestPath) ? ModelManifestReader.Read(manifestPath) : null;
var minVisibility = minVisibilityArg ?? DefectDataset.MinVisibilityOf(modelManifest?.Variants.Select(v => v.Metrics) ?? []);
var dataset = DefectDataset.Create(DefectDataset.DefaultSeed, minVisibility: minVisibility, aggregateTrainingSurfaces: aggregate, terrainTrainingTextures: terrains, terrainValidation: terrainValidation);
Console.WriteLine($"data set: seed {dataset.Seed}, fingerprint {dataset.Fingerprint}, minimum defect visibility {dataset.MinVisibility}");
foreach (var s in Enum.GetValues<SurfaceSplit>())
{
    Console.WriteLine($"  {s}: {string.Join(' ', dataset.SourcesOf(s).Select(x => x.Name))}");
}

if (exportCalibration is not null)
{
    CalibrationExport.Write(model, dataset, exportCalibration, count);
    Console.WriteLine($"wrote {count} training-split calibration inputs to {exportCalibration}");
    return 0;
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

if (exportGood is not null)
{
    var source = dataset.SourcesOf(split).FirstOrDefault(s => s.Name == surface);
    if (source is null)
    {
        Console.Error.WriteLine($"--export-good needs --surface naming a {split} surface (listed above); got '{surface ?? ""}'.");
        return 2;
    }

    Directory.CreateDirectory(exportGood);
    for (var i = 0; i < count; i++)
    {
        var sample = dataset.GenerateGoodPart(source, split, i);
        File.WriteAllBytes(Path.Combine(exportGood, $"{i:000}-ok.png"), PngWriter.EncodeRgb(sample.Rgb, 64, 64));
    }

    Console.WriteLine($"wrote {count} good pictures of {source.Name} to {exportGood}");
    return 0;
}

if (preview is not null)
{
    Directory.CreateDirectory(preview);
    var sw = Stopwatch.StartNew();
    var scanned = surface is null && visibility is null ? count : count * 50;
    var samples = Enumerable.Range(0, scanned).Select(i => dataset.Generate(split, i))
        .Where(s => surface is null || s.Surface == surface)
        .Where(s => visibility is not { } v || (s.Label != DefectKind.Ok && s.Visibility.Ratio >= v.Low && s.Visibility.Ratio < v.High))
        .Take(count).ToArray();
    if (samples.Length == 0)
    {
        Console.Error.WriteLine($"No {split} sample among the first {scanned} matches (surface '{surface ?? "any"}', visibility {visibility?.ToString() ?? "any"}); the {split} surfaces are listed above.");
        return 2;
    }

    Console.WriteLine($"generated {samples.Length} samples{(surface is null ? "" : $" on {surface}")} in {sw.Elapsed.TotalMilliseconds:F0} ms");
    var drawn = samples.Where(s => s.Label != DefectKind.Ok).Select(s => s.DrawnContrast).Order().ToArray();
    if (drawn.Length > 0)
    {
        // The painter raises fainter defects to the minimum; this shows how many needed it (label-noise check).
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"defect contrast as drawn: {drawn.Count(c => c < DefectDataset.MinDefectContrast)} of {drawn.Length} below {DefectDataset.MinDefectContrast} (raised); p10 {drawn[drawn.Length / 10]:F3}, median {drawn[drawn.Length / 2]:F3}"));
        foreach (var kind in samples.Where(s => s.Label != DefectKind.Ok).GroupBy(s => s.Label).OrderBy(g => g.Key))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {kind.Key}: {kind.Count(s => s.DrawnContrast < DefectDataset.MinDefectContrast)} of {kind.Count()} raised"));
        }
    }

    File.WriteAllBytes(Path.Combine(preview, $"{split}-grid.png"), Preview.Grid(samples, 8));
    Console.WriteLine($"wrote {Path.Combine(preview, $"{split}-grid.png")} (mask outlined in red below each image)");
    return 0;
}

var manifest = modelManifest ?? ModelManifestReader.Read(manifestPath); // (throws the reader's error naming the missing file)
string[] variants = variantArg is null ? [.. manifest.Variants.Select(v => v.Name)] : [variantArg];
var thresholdProblems = new List<string>();
if (split == SurfaceSplit.Test && (writeManifest || verify))
{
    // Before the test split is looked at: each variant's threshold from the validation surfaces only.
    var picked = VariantThresholds.Pick(model, variants, dataset, validationCount);
    if (writeManifest)
    {
        VariantThresholds.Apply(manifest, picked);
        ModelManifestReader.Write(manifest, manifestPath);
    }
    else
    {
        thresholdProblems.AddRange(VariantThresholds.Check(manifest, picked));
    }
}

var reports = new List<(string Variant, EvaluationReport Report)>();
foreach (var variant in variants)
{
    var report = Evaluator.Run(model, variant, dataset, count, camPreview, split);
    Console.WriteLine(report.Text);
    reports.Add((variant, report));
}

if (split != SurfaceSplit.Test)
{
    // Model selection looks at validation surfaces; only test-split numbers are recorded ("test*" metrics).
    return 0;
}

if (verify)
{
    // The model card's numbers must come back from the committed ONNX files and the regenerated data set.
    // Latency depends on the machine and is not compared; everything else is deterministic (1e-4 for rounding).
    var failed = thresholdProblems.Count > 0;
    foreach (var line in thresholdProblems)
    {
        Console.Error.WriteLine("MISMATCH " + line);
    }

    foreach (var (variant, report) in reports)
    {
        var recorded = manifest.FindVariant(variant)!.Metrics;
        var tested = report.Metrics.Where(m => m.Key.StartsWith("test", StringComparison.Ordinal) && recorded.ContainsKey(m.Key)).ToArray();
        var mismatches = tested
            .Where(m => Math.Abs(m.Value - recorded[m.Key]) > 1e-4)
            .Select(m => $"{variant} {m.Key}: measured {m.Value.ToString("G6", CultureInfo.InvariantCulture)}, manifest {recorded[m.Key].ToString("G6", CultureInfo.InvariantCulture)}")
            .ToArray();
        foreach (var line in mismatches)
        {
            Console.Error.WriteLine("MISMATCH " + line);
        }

        Console.WriteLine($"verify {variant}: {tested.Length - mismatches.Length} of {tested.Length} recorded test metrics reproduced");
        failed |= mismatches.Length > 0 || tested.Length == 0;
    }

    return failed ? 1 : 0;
}

if (variantArg is null)
{
    var reportPath = Path.Combine(model, "metrics.txt");
    File.WriteAllText(reportPath, string.Join(Environment.NewLine, reports.Select(r => r.Report.Text)), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
    Console.WriteLine($"wrote {reportPath}");
}

if (writeManifest)
{
    foreach (var (variant, report) in reports)
    {
        var entry = manifest.FindVariant(variant)!;
        foreach (var (k, v) in report.Metrics)
        {
            entry.Metrics[k] = v;
        }

        entry.Metrics[DefectDataset.MinVisibilityMetric] = dataset.MinVisibility;

        // fp32's self-test reference comes from TorchSharp (the trainer); other variants have only ONNX Runtime.
        if (variant != "fp32")
        {
            foreach (var e in SampleReference.Write(model, manifest, variant))
            {
                Console.WriteLine($"wrote self-test reference {e.File} (tolerance {e.Tolerance.ToString(CultureInfo.InvariantCulture)})");
            }
        }
    }

    ModelManifestReader.Write(manifest, manifestPath);
    Console.WriteLine($"wrote metrics of {string.Join(", ", variants)} into {manifestPath}");
}

return 0;

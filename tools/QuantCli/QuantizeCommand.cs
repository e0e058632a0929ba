using System.CommandLine;
using System.Security.Cryptography;
using EdgeAI.Quantization.Int8;
using EdgeAI.Quantization.Onnx;

namespace EdgeAI.QuantCli;

/// <summary><c>quantize static|dynamic MODEL --out OUT ...</c>.</summary>
internal static class QuantizeCommand
{
    /// <summary>Without it ONNX Runtime moves QDQ pairs around and int8 graphs lose most of their speed (measured, see docs/quantization.md).</summary>
    internal const string QdqPropagation = "QDQPropagationTransformer";

    public static Command Create()
    {
        var command = new Command("quantize", "Quantize a model to int8.");
        command.Subcommands.Add(CreateStatic());
        command.Subcommands.Add(CreateDynamic());
        return command;
    }

    /// <summary><c>--from VARIANT</c>: the manifest variant to start from when MODEL is a model directory (default: its default variant).</summary>
    internal static Option<string?> FromVariant() =>
        new("--from") { Description = "With a model directory: the manifest variant to start from (e.g. a pruned variant for pruned-int8); default: the manifest's default variant." };

    private static Command CreateStatic()
    {
        var from = FromVariant();
        var model = new Argument<string>("MODEL") { Description = "An .onnx file or a model directory with manifest.json (then a variant is added to the manifest)." };
        var calibration = new CalibrationInputs();
        var output = new Option<string>("--out") { Description = "Where to write the quantized model (inside the model directory when MODEL is one).", Required = true };
        var excludeNodes = new Option<string[]>("--exclude-nodes") { Description = "Node names to keep in fp32.", AllowMultipleArgumentsPerToken = true };
        var excludeOps = new Option<string[]>("--exclude-ops") { Description = "Operator types to keep in fp32 (Conv, Gemm, MatMul, Add, Mul, Concat, MaxPool, Reshape...; see docs/quantization.md).", AllowMultipleArgumentsPerToken = true };
        var variant = new Option<string>("--variant") { Description = "Manifest variant name to add or replace.", DefaultValueFactory = _ => "int8" };
        var activations = new Option<string>("--activations") { Description = "Activation type: uint8 (fastest on x86) or int8 (ONNX Runtime fuses it on x86 only with session.qdqisint8allowed=1, which the manifest variant then records).", DefaultValueFactory = _ => "uint8" };
        activations.AcceptOnlyFromAmong("uint8", "int8");
        var fixInput = FixedInputs.CreateOption();
        var fixShape = FixedInputs.CreateShapeOption();
        var specializeSample = FixedInputs.CreateSampleOption();
        var minCosine = new Option<double?>("--min-cosine") { Description = "Accuracy budget: keep the most sensitive layers fp32 until the worst cosine of the outputs against fp32 (on --accuracy-data, else the calibration set) reaches this." };
        var accuracyData = new Option<string?>("--accuracy-data") { Description = "Directory of inputs for the accuracy budget, in any --calibration-format (default: the calibration set)." };
        var latencyGuided = new Option<bool>("--latency-guided") { Description = "Quantize everything, then keep each layer fp32 whose fp32 form makes the whole model measurably faster on this machine (timed side by side, 1 thread). With --min-cosine: the accuracy budget first, then latency." };
        var latencySamples = new Option<int>("--latency-samples") { Description = "Inputs to time on with --latency-guided (the first of --accuracy-data, else of the calibration set).", DefaultValueFactory = _ => 8 };
        var latencyRepeats = new Option<int>("--latency-repeats") { Description = "Timed runs per input and model in one --latency-guided measurement.", DefaultValueFactory = _ => 10 };

        var command = new Command("static", "Static int8 (QDQ): int8 per-channel weights, uint8 (or int8) activations from calibrated ranges; Conv, Gemm, MatMul, Add, Mul, Concat, pools, Sigmoid, Softmax, LeakyRelu fused by ONNX Runtime, shape operators run on int8 data.");
        command.Arguments.Add(model);
        foreach (var o in new Option[] { output, from, excludeNodes, excludeOps, variant, activations, fixInput, fixShape, specializeSample, minCosine, accuracyData, latencyGuided, latencySamples, latencyRepeats }.Concat(calibration.All))
        {
            command.Options.Add(o);
        }

        command.SetAction(parse =>
        {
            var location = ModelLocation.Resolve(parse.GetValue(model)!, parse.GetValue(from));
            var outPath = parse.GetValue(output)!;
            CheckOutputPlace(location, outPath);
            var (specialized, specialization) = FixedInputs.Apply(
                OnnxModel.Load(location.OnnxPath), parse.GetValue(fixInput), parse.GetValue(fixShape), parse.GetValue(specializeSample), CalibrationInputs.ResolveManifest(parse.GetValue(calibration.Manifest), location));
            var (onnx, prepared) = ModelPreparer.Prepare(specialized);
            IReadOnlyList<string> preparation = [.. specialization, .. prepared];
            var options = new StaticQuantizationOptions { ActivationType = parse.GetValue(activations) == "int8" ? ActivationType.Int8 : ActivationType.UInt8 };
            ApplyExclusions(onnx, parse.GetValue(excludeNodes), parse.GetValue(excludeOps), options.ExcludedNodes, options.OpTypes, StaticQuantizationOptions.SupportedOpTypes);

            var (ranges, skippedFiles) = calibration.Calibrate(parse, location, onnx);
            QuantizationResult result;
            AccuracyReport? accuracy = null;
            LatencyReport? latency = null;
            var measureData = parse.GetValue(accuracyData) ?? parse.GetValue(calibration.Data)!;
            if (parse.GetValue(minCosine) is { } budget)
            {
                var measure = calibration.Open(parse, measureData, location, onnx).ToList();
                var aware = AccuracyAwareQuantizer.Quantize(onnx, ranges, measure, new AccuracyAwareOptions { MinCosine = budget, Quantization = options });
                result = aware.Quantization;
                accuracy = new AccuracyReport(budget, aware.MinCosine, aware.BudgetMet, aware.KeptFp32, [.. aware.Sensitivities.Select(x => new SensitivityReport(x.Label, Output.Finite(x.SqnrDb)))]);
                aware.KeptFp32.ToList().ForEach(k => options.ExcludedNodes.Add(k));
            }
            else
            {
                result = StaticQuantizer.Quantize(onnx, ranges, options);
            }

            if (parse.GetValue(latencyGuided))
            {
                var count = parse.GetValue(latencySamples);
                var repeats = parse.GetValue(latencyRepeats);
                if (count < 1 || repeats < 1)
                {
                    throw new CliUsageException($"--latency-samples ({count}) and --latency-repeats ({repeats}) must be at least 1.");
                }

                var guidedOptions = new LatencyGuidedOptions { Quantization = options, TimingRepeats = repeats, TimingSamples = count };
                var held = calibration.Open(parse, measureData, location, onnx).Take(Math.Max(count, guidedOptions.AccuracySamples)).ToList();
                var guided = LatencyGuidedQuantizer.Quantize(onnx, ranges, held, guidedOptions);
                if (guided.Quantization.QuantizedNodes.Count == 0)
                {
                    throw new CliCheckFailedException($"--latency-guided: every quantized layer of '{location.OnnxPath}' measured faster in fp32 on this machine (all-int8 {Output.F(guided.AllInt8VsFp32, "F3")}x fp32); use the fp32 model.");
                }

                result = guided.Quantization;
                latency = new LatencyReport(
                    Math.Min(count, held.Count), repeats, Math.Min(guidedOptions.AccuracySamples, held.Count), guided.AllInt8VsFp32, guided.FinalVsFp32, guided.FinalVsAllInt8,
                    guided.MinCosine, guided.MeanCosine, guided.Top1Agreement,
                    [.. guided.Layers.Select(l => new LayerLatencyReport(l.Label, l.Nodes, l.RevertedToFp32, l.Ratios, l.RefusedByAccuracy))]);
            }

            var report = Finish(location, outPath, result.Model, "static", parse.GetValue(calibration.Method), ranges.SampleCount, preparation, result.QuantizedNodes, result.SkippedNodes, parse.GetValue(variant)!, [QdqPropagation], options.RequiredSessionConfig)
                with { Accuracy = accuracy, Latency = latency, SkippedCalibrationFiles = [.. skippedFiles.Select(f => f.Path)] };
            Output.Write(parse, report, ReportJsonContext.Default.QuantizeReport, w => WriteText(w, report));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateDynamic()
    {
        var from = FromVariant();
        var model = new Argument<string>("MODEL") { Description = "An .onnx file or a model directory with manifest.json (then a variant is added to the manifest)." };
        var output = new Option<string>("--out") { Description = "Where to write the quantized model (inside the model directory when MODEL is one).", Required = true };
        var excludeNodes = new Option<string[]>("--exclude-nodes") { Description = "Node names to keep in fp32.", AllowMultipleArgumentsPerToken = true };
        var excludeOps = new Option<string[]>("--exclude-ops") { Description = "Operator types to keep in fp32 (MatMul, Gemm, LSTM, Attention).", AllowMultipleArgumentsPerToken = true };
        var minElements = new Option<long>("--min-weight-elements") { Description = "Weights with fewer elements stay fp32.", DefaultValueFactory = _ => 256 };
        var variant = new Option<string>("--variant") { Description = "Manifest variant name to add or replace.", DefaultValueFactory = _ => "int8-dynamic" };
        var fixInput = FixedInputs.CreateOption();
        var fixShape = FixedInputs.CreateShapeOption();
        var specializeSample = FixedInputs.CreateSampleOption();

        var command = new Command("dynamic", "Dynamic int8 (ONNX Runtime contrib ops): MatMul/Gemm -> DynamicQuantizeMatMul, LSTM -> DynamicQuantizeLSTM, com.microsoft Attention -> QAttention (GRU stays fp32: no int8 kernel); int8 per-column weights, activations quantized at run time. No calibration data.");
        command.Arguments.Add(model);
        foreach (var o in new Option[] { output, from, excludeNodes, excludeOps, minElements, variant, fixInput, fixShape, specializeSample })
        {
            command.Options.Add(o);
        }

        command.SetAction(parse =>
        {
            var location = ModelLocation.Resolve(parse.GetValue(model)!, parse.GetValue(from));
            var outPath = parse.GetValue(output)!;
            CheckOutputPlace(location, outPath);
            var (specialized, specialization) = FixedInputs.Apply(
                OnnxModel.Load(location.OnnxPath), parse.GetValue(fixInput), parse.GetValue(fixShape), parse.GetValue(specializeSample), CalibrationInputs.ResolveManifest(null, location));
            var (onnx, prepared) = ModelPreparer.Prepare(specialized);
            IReadOnlyList<string> preparation = [.. specialization, .. prepared];
            var options = new DynamicQuantizationOptions { MinimumWeightElements = parse.GetValue(minElements) };
            ApplyExclusions(onnx, parse.GetValue(excludeNodes), parse.GetValue(excludeOps), options.ExcludedNodes, options.OpTypes, DynamicQuantizationOptions.SupportedOpTypes);

            var result = DynamicQuantizer.Quantize(onnx, options);
            var report = Finish(location, outPath, result.Model, "dynamic", null, 0, preparation, result.QuantizedNodes, result.SkippedNodes, parse.GetValue(variant)!, []);
            Output.Write(parse, report, ReportJsonContext.Default.QuantizeReport, w => WriteText(w, report));
            return ExitCodes.Success;
        });
        return command;
    }

    internal static List<string> GraphInputNames(OnnxModel model)
    {
        var initializers = model.Graph.Initializers.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        return [.. model.Graph.Inputs.Where(i => !initializers.Contains(i.Name)).Select(i => i.Name)];
    }

    internal static void CheckOutputPlace(ModelLocation location, string outPath)
    {
        if (Path.GetFullPath(outPath) == Path.GetFullPath(location.OnnxPath))
        {
            throw new CliUsageException($"--out '{outPath}' is the input model; choose another file.");
        }

        if (location.Directory is { } dir)
        {
            var relative = Path.GetRelativePath(Path.GetFullPath(dir), Path.GetFullPath(outPath));
            if (relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative))
            {
                throw new CliUsageException($"--out '{outPath}' is outside the model directory '{dir}'; the manifest can only name files inside it.");
            }
        }
    }

    internal static QuantizeReport Finish(
        ModelLocation location, string outPath, OnnxModel quantized, string mode, string? method, int samples, IReadOnlyList<string> preparation,
        IReadOnlyList<string> quantizedNodes, IReadOnlyList<string> skippedNodes, string variantName, IReadOnlyList<string> disabledOptimizers,
        IReadOnlyDictionary<string, string>? configEntries = null)
    {
        if (quantizedNodes.Count == 0)
        {
            throw new CliCheckFailedException($"No node of '{location.OnnxPath}' could be quantized: {string.Join(" ", skippedNodes.DefaultIfEmpty("the model has no supported operator."))}");
        }

        var directory = Path.GetDirectoryName(Path.GetFullPath(outPath));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        quantized.Save(outPath);
        var bytes = File.ReadAllBytes(outPath);
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        var manifestPath = ManifestVariants.Add(
            location, outPath, bytes.Length, sha, variantName, disabledOptimizers,
            new Dictionary<string, double> { ["sizeRatio"] = (double)bytes.Length / new FileInfo(location.OnnxPath).Length },
            configEntries);

        var inputBytes = new FileInfo(location.OnnxPath).Length;
        return new QuantizeReport(
            mode,
            Path.GetFullPath(location.OnnxPath),
            Path.GetFullPath(outPath),
            inputBytes,
            bytes.Length,
            (double)bytes.Length / inputBytes,
            method,
            samples,
            preparation,
            quantizedNodes,
            skippedNodes,
            manifestPath is null ? null : Path.GetFullPath(manifestPath),
            manifestPath is null ? null : variantName,
            sha,
            disabledOptimizers);
    }

    private static void WriteText(TextWriter w, QuantizeReport r)
    {
        w.WriteLine($"{r.Mode} int8: {r.Output}");
        w.WriteLine($"  {r.InputBytes:N0} -> {r.OutputBytes:N0} bytes ({Output.F(r.SizeRatio, "F3")}x), sha256 {r.Sha256}");
        if (r.Method is not null)
        {
            w.WriteLine($"  calibration: {r.Method}, {r.CalibrationSamples} sample(s){(r.SkippedCalibrationFiles is { Count: > 0 } skipped ? $", {skipped.Count} file(s) skipped: {string.Join(", ", skipped)}" : "")}");
        }

        foreach (var p in r.Preparation)
        {
            w.WriteLine($"  prepared: {p}");
        }

        w.WriteLine($"  quantized {r.QuantizedNodes.Count} node(s): {string.Join(", ", r.QuantizedNodes)}");
        foreach (var s in r.SkippedNodes)
        {
            w.WriteLine($"    kept fp32: {s}");
        }

        if (r.Accuracy is { } a)
        {
            w.WriteLine($"  accuracy budget cosine >= {Output.F(a.Budget)}: {(a.BudgetMet ? "met" : "NOT met")}, worst cosine {Output.F(a.MinCosine, "F5")}; kept fp32: {(a.KeptFp32.Count == 0 ? "none" : string.Join(", ", a.KeptFp32))}");
            foreach (var x in a.Sensitivities)
            {
                w.WriteLine($"    sensitivity {x.Node}: SQNR {(x.SqnrDb is { } d ? Output.F(d, "F1") : "inf")} dB");
            }
        }

        if (r.Latency is { } l)
        {
            w.WriteLine($"  latency-guided ({l.Samples} input(s) x {l.TimingRepeats} timed runs, side by side): all-int8 {Output.F(l.AllInt8VsFp32, "F3")}x fp32, final {Output.F(l.FinalVsFp32, "F3")}x fp32 = {Output.F(l.FinalVsAllInt8, "F3")}x all-int8");
            w.WriteLine($"  accuracy on {l.AccuracySamples} input(s) vs fp32: worst cosine {Output.F(l.MinCosine, "F5")}, mean cosine {Output.F(l.MeanCosine, "F5")}, top-1 {(l.Top1Agreement is { } t ? Output.F(t, "F3") : "n/a")}");
            foreach (var x in l.Layers)
            {
                var decision = x.RevertedToFp32 ? "reverted to fp32" : x.RefusedByAccuracy ? "kept int8 (faster, refused by the accuracy guard)" : "kept int8";
                w.WriteLine($"    {x.Node}: {decision} (fp32 candidate / best: {string.Join(", ", x.Ratios.Select(v => Output.F(v, "F3")))})");
            }
        }

        if (r.Manifest is not null)
        {
            w.WriteLine($"  manifest {r.Manifest}: variant '{r.Variant}' (disabledOptimizers: {string.Join(", ", r.DisabledOptimizers)})");
        }

        if (r.DisabledOptimizers.Count > 0)
        {
            w.WriteLine($"  run it with ONNX Runtime session config optimization.disable_specified_optimizers={string.Join(",", r.DisabledOptimizers)}");
        }
    }

    /// <summary>Applies --exclude-nodes and --exclude-ops to a quantizer's options, refusing names the model or quantizer does not have.</summary>
    private static void ApplyExclusions(OnnxModel onnx, string[]? excludeNodes, string[]? excludeOps, ISet<string> excludedNodes, ISet<string> opTypes, IReadOnlySet<string> supportedOpTypes)
    {
        var nodeNames = onnx.Graph.Nodes.Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var name in excludeNodes ?? [])
        {
            if (!nodeNames.Contains(name))
            {
                throw new CliUsageException($"--exclude-nodes: the model has no node named '{name}' (see 'inspect').");
            }

            excludedNodes.Add(name);
        }

        foreach (var op in excludeOps ?? [])
        {
            if (!supportedOpTypes.Contains(op))
            {
                throw new CliUsageException($"--exclude-ops: '{op}' is not a quantized operator; expected one of {string.Join(", ", supportedOpTypes)}.");
            }

            opTypes.Remove(op);
        }
    }
}

using System.CommandLine;
using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using EdgeAI.Quantization.Calibration;
using EdgeAI.Quantization.Evaluation;
using EdgeAI.Quantization.Int8;
using EdgeAI.Quantization.Onnx;
using EdgeAI.Quantization.Pruning;

namespace EdgeAI.QuantCli;

/// <summary>
/// <c>prune --model MODEL --out OUT (--ratio R | --layer-ratio NODE=R.. | --budget-cosine C | --budget-top1 T --eval DIR) [--unstructured S]</c>:
/// structured channel pruning (fixed ratios or an accuracy budget) and optional unstructured magnitude sparsity.
/// </summary>
internal static class PruneCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "An .onnx file or a model directory with manifest.json (then a variant is added to the manifest).", Required = true };
        var output = new Option<string>("--out") { Description = "Where to write the pruned model (inside the model directory when --model is one).", Required = true };
        var ratio = new Option<double?>("--ratio") { Description = "Fraction of output channels to remove from every prunable layer, in [0, 1)." };
        var layerRatios = new Option<string[]>("--layer-ratio") { Description = "CONV=R: the fraction for one layer (by the name of one of its Convs); replaces --ratio for it.", AllowMultipleArgumentsPerToken = true };
        var budgetCosine = new Option<double?>("--budget-cosine") { Description = "Accuracy budget: prune the least sensitive layers most while the worst cosine of the outputs against fp32 on --eval stays at or above this." };
        var budgetTop1 = new Option<double?>("--budget-top1") { Description = "Accuracy budget: ... while top-1 agreement with fp32 on --eval stays at or above this fraction." };
        var budgetOutputs = new Option<string[]>("--budget-output") { Description = "Graph outputs the budget is measured on (default: all float outputs).", AllowMultipleArgumentsPerToken = true };
        var eval = new Option<string?>("--eval") { Description = "Directory of .npy inputs (calibration-set layout): the budget is measured on it, and the result is compared with the input model (agreement, latency)." };
        var exclude = new Option<string[]>("--exclude") { Description = "Node names to leave alone: layers whose channels reach them keep every channel, and their weights are not sparsified.", AllowMultipleArgumentsPerToken = true };
        var criterion = new Option<string>("--criterion") { Description = "Channel ranking: l1 or l2 norm of each filter (after BatchNorm folding).", DefaultValueFactory = _ => "l1" };
        criterion.AcceptOnlyFromAmong("l1", "l2");
        var multiple = new Option<int>("--channel-multiple") { Description = "Round kept channel counts up to a multiple of this. ONNX Runtime's CPU convolutions work in blocks of 8-16 channels: on x86 a pruned model with odd counts ran slower than the original (see docs/quantization.md).", DefaultValueFactory = _ => 8 };
        var step = new Option<double>("--step") { Description = "Budget search: ratio added per accepted step.", DefaultValueFactory = _ => 0.125 };
        var maxRatio = new Option<double>("--max-ratio") { Description = "Budget search: the largest ratio any layer reaches.", DefaultValueFactory = _ => 0.75 };
        var unstructured = new Option<double?>("--unstructured") { Description = "Also zero this fraction of the smallest weights of every Conv/Gemm/MatMul. Shrinks the compressed size, not the file or ONNX Runtime CPU latency." };
        var repeats = new Option<int>("--repeats") { Description = "Timed runs of each model per --eval sample, interleaved (0: no timing).", DefaultValueFactory = _ => 10 };
        var threads = new Option<int>("--threads") { Description = "ONNX Runtime intra-op threads for the comparison.", DefaultValueFactory = _ => 1 };
        var variant = new Option<string>("--variant") { Description = "Manifest variant name to add or replace.", DefaultValueFactory = _ => "pruned" };
        var from = QuantizeCommand.FromVariant();

        var command = new Command("prune", "Structured channel pruning (whole filters removed, so ONNX Runtime runs a smaller dense model) by ratio or within an accuracy budget; optional unstructured sparsity.");
        foreach (var o in new Option[] { model, from, output, ratio, layerRatios, budgetCosine, budgetTop1, budgetOutputs, eval, exclude, criterion, multiple, step, maxRatio, unstructured, repeats, threads, variant })
        {
            command.Options.Add(o);
        }

        command.SetAction(parse =>
        {
            var budget = parse.GetValue(budgetCosine) is not null || parse.GetValue(budgetTop1) is not null;
            var fixedRatios = parse.GetValue(ratio) is not null || parse.GetValue(layerRatios) is { Length: > 0 };
            var sparsity = parse.GetValue(unstructured);
            if (budget && fixedRatios)
            {
                throw new CliUsageException("Use either --ratio/--layer-ratio or a budget (--budget-cosine/--budget-top1), not both.");
            }

            if (!budget && !fixedRatios && sparsity is null)
            {
                throw new CliUsageException("Nothing to do: give --ratio R, --layer-ratio CONV=R, --budget-cosine C or --budget-top1 T (with --eval DIR), and/or --unstructured S.");
            }

            if (budget && parse.GetValue(eval) is null)
            {
                throw new CliUsageException("An accuracy budget needs --eval DIR (.npy inputs to measure agreement with the input model on).");
            }

            CheckFraction("--ratio", parse.GetValue(ratio));
            CheckFraction("--unstructured", sparsity);

            var location = ModelLocation.Resolve(parse.GetValue(model)!, parse.GetValue(from));
            var outPath = parse.GetValue(output)!;
            QuantizeCommand.CheckOutputPlace(location, outPath);
            var original = OnnxModel.Load(location.OnnxPath);
            var (prepared, preparation) = ModelPreparer.Prepare(original);
            var samples = parse.GetValue(eval) is { } dir ? NpyCalibrationSet.Read(dir, QuantizeCommand.GraphInputNames(prepared)).ToList() : null;
            var pruning = new PruningOptions
            {
                Ratio = parse.GetValue(ratio) ?? 0,
                Criterion = parse.GetValue(criterion) == "l2" ? ChannelCriterion.L2 : ChannelCriterion.L1,
                ChannelMultiple = parse.GetValue(multiple),
            };
            pruning.ExcludedNodes.UnionWith(parse.GetValue(exclude) ?? []);
            foreach (var text in parse.GetValue(layerRatios) ?? [])
            {
                var (name, value) = ParseLayerRatio(text);
                pruning.LayerRatios[name] = value;
            }

            var comparisonOptions = new ModelComparisonOptions { TimingRepeats = parse.GetValue(repeats), IntraOpThreads = parse.GetValue(threads) };
            comparisonOptions.CandidateDisabledOptimizers.Clear();
            PruningResult? structured = null;
            AccuracyAwarePruningResult? aware = null;
            try
            {
                if (budget)
                {
                    var options = new AccuracyAwarePruningOptions
                    {
                        MinCosine = parse.GetValue(budgetCosine),
                        MinTop1 = parse.GetValue(budgetTop1),
                        Step = parse.GetValue(step),
                        MaxRatio = parse.GetValue(maxRatio),
                        Pruning = pruning,
                        Comparison = comparisonOptions,
                    };
                    foreach (var name in parse.GetValue(budgetOutputs) ?? [])
                    {
                        options.BudgetOutputs.Add(name);
                    }

                    aware = AccuracyAwarePruner.Prune(prepared, samples!, options);
                    structured = aware.Pruning;
                }
                else if (fixedRatios)
                {
                    structured = ChannelPruner.Prune(prepared, pruning, samples?.FirstOrDefault());
                }
            }
            catch (NotSupportedException ex)
            {
                throw new CliUsageException(ex.Message);
            }

            var result = structured?.Model ?? prepared;
            SparsityResult? sparse = null;
            if (sparsity is { } s)
            {
                sparse = MagnitudePruner.Prune(result, s, pruning.ExcludedNodes);
                result = sparse.Model;
            }

            if ((structured is null || structured.Layers.All(l => l.ChannelsAfter == l.ChannelsBefore)) && (sparse is null || sparse.Layers.Count == 0))
            {
                var reasons = structured?.Refused.Select(r => $"{r.Name}: {r.Refusal}") ?? [];
                throw new CliCheckFailedException($"Nothing in '{location.OnnxPath}' was pruned. {string.Join("; ", reasons.DefaultIfEmpty("No layer lost a channel at this ratio."))}");
            }

            var comparison = samples is null ? null
                : aware is not null && sparse is null ? aware.Comparison
                : ModelComparer.Compare(original.ToSelfContainedBytes(), result.ToSelfContainedBytes(), samples, comparisonOptions);
            var budgetReport = aware is null ? null : new PruneBudgetReport(
                parse.GetValue(budgetCosine), parse.GetValue(budgetTop1), parse.GetValue(budgetOutputs) ?? [], aware.BudgetMet, aware.Evaluations);
            var report = Write(location, outPath, original, result, preparation, structured, aware, budgetReport, sparse, sparsity, comparison, comparisonOptions.IntraOpThreads, parse.GetValue(variant)!);
            Output.Write(parse, report, ReportJsonContext.Default.PruneReport, w => WriteText(w, report));
            if (report.Budget is { Met: false })
            {
                throw new CliCheckFailedException("the pruned model does not meet the accuracy budget.");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static PruneReport Write(
        ModelLocation location, string outPath, OnnxModel original, OnnxModel result, IReadOnlyList<string> preparation, PruningResult? structured,
        AccuracyAwarePruningResult? aware, PruneBudgetReport? budget, SparsityResult? sparse, double? sparsityTarget, ModelComparison? comparison, int threads, string variantName)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(outPath));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        result.Save(outPath);
        var bytes = File.ReadAllBytes(outPath);
        var inputBytes = File.ReadAllBytes(location.OnnxPath);
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        var before = structured?.Before ?? ModelCost.Measure(original);
        var after = structured?.After ?? ModelCost.Measure(result);
        var metrics = new Dictionary<string, double>
        {
            ["sizeRatio"] = (double)bytes.Length / inputBytes.Length,
            ["parameters"] = after.Parameters,
            ["parameterRatio"] = (double)after.Parameters / before.Parameters,
        };
        if (before.Macs is > 0 and var macs && after.Macs is { } macsAfter)
        {
            metrics["macRatio"] = (double)macsAfter / macs;
        }

        if (comparison is not null)
        {
            metrics["minCosine"] = comparison.MinCosine;
            if (double.IsFinite(comparison.LatencyRatio))
            {
                metrics["latencyRatio"] = comparison.LatencyRatio;
            }
        }

        var manifest = ManifestVariants.Add(location, outPath, bytes.Length, sha, variantName, [], metrics);
        var sensitivity = aware?.Sensitivities.ToDictionary(s => s.Layer, s => s.MinCosine, StringComparer.Ordinal);
        return new PruneReport(
            Path.GetFullPath(location.OnnxPath),
            Path.GetFullPath(outPath),
            inputBytes.Length,
            bytes.Length,
            (double)bytes.Length / inputBytes.Length,
            Compressed(inputBytes),
            Compressed(bytes),
            preparation,
            before.Parameters,
            after.Parameters,
            before.Macs,
            after.Macs,
            [.. (structured?.Layers ?? []).Select(l => new PrunedLayerReport(
                l.Name, l.Convs, l.ChannelsBefore, l.ChannelsAfter, l.ParametersBefore, l.ParametersAfter, l.MacsBefore, l.MacsAfter,
                sensitivity is not null && sensitivity.TryGetValue(l.Name, out var c) ? c : null))],
            [.. (structured?.Refused ?? []).Select(r => new RefusedLayerReport(r.Name, r.Refusal!))],
            sparse is null ? null : new SparsityReport(sparsityTarget ?? 0, sparse.Sparsity, sparse.Layers.Sum(l => l.Elements), sparse.Layers.Sum(l => l.Zeros)),
            budget,
            comparison is null ? null : new PruneComparisonReport(
                comparison.SampleCount,
                [.. comparison.Outputs.Select(o => new OutputReport(o.Name, o.MaxAbsDiff, o.MinCosine, o.MeanCosine, Output.Finite(o.SqnrDb), o.Top1Agreement))],
                Output.Finite(comparison.ReferenceMicroseconds), Output.Finite(comparison.CandidateMicroseconds), Output.Finite(comparison.LatencyRatio), threads),
            manifest is null ? null : Path.GetFullPath(manifest),
            manifest is null ? null : variantName,
            sha);
    }

    private static void WriteText(TextWriter w, PruneReport r)
    {
        w.WriteLine($"pruned: {r.Output}");
        w.WriteLine($"  {r.InputBytes:N0} -> {r.OutputBytes:N0} bytes ({Output.F(r.SizeRatio, "F3")}x); compressed {r.InputCompressedBytes:N0} -> {r.OutputCompressedBytes:N0}; sha256 {r.Sha256}");
        var macs = r.MacsBefore is { } mb && r.MacsAfter is { } ma ? $", MACs/sample {mb:N0} -> {ma:N0} ({Output.F((double)ma / mb, "F3")}x)" : "";
        w.WriteLine($"  parameters {r.ParametersBefore:N0} -> {r.ParametersAfter:N0} ({Output.F((double)r.ParametersAfter / r.ParametersBefore, "F3")}x){macs}");
        foreach (var p in r.Preparation)
        {
            w.WriteLine($"  prepared: {p}");
        }

        foreach (var l in r.Layers)
        {
            var sensitivity = l.SensitivityCosine is { } s ? $", sensitivity cosine {Output.F(s, "F4")}" : "";
            var layerMacs = l.MacsBefore is { } b && l.MacsAfter is { } a ? $", MACs {b:N0} -> {a:N0}" : "";
            w.WriteLine($"  {l.Name}: channels {l.ChannelsAfter}/{l.ChannelsBefore} kept ({l.ChannelsBefore - l.ChannelsAfter} removed), params {l.ParametersBefore:N0} -> {l.ParametersAfter:N0}{layerMacs}{sensitivity}");
        }

        foreach (var refused in r.Refused)
        {
            w.WriteLine($"  {refused.Name}: not pruned: {refused.Reason}");
        }

        if (r.Unstructured is { } u)
        {
            w.WriteLine($"  unstructured: {u.Zeros:N0} of {u.Weights:N0} weights zero (sparsity {Output.F(u.Sparsity, "F3")}); this shrinks the compressed size, not the file or ONNX Runtime CPU latency");
        }

        if (r.Budget is { } budget)
        {
            var floors = string.Join(" and ", new[] { budget.MinCosine is { } c ? $"cosine >= {Output.F(c)}" : null, budget.MinTop1 is { } t ? $"top-1 >= {Output.F(t)}" : null }.OfType<string>());
            var outputs = budget.Outputs.Count == 0 ? "all outputs" : string.Join(", ", budget.Outputs);
            w.WriteLine($"  budget {floors} on {outputs}: {(budget.Met ? "met" : "NOT met")} ({budget.Evaluations} candidate(s) evaluated)");
        }

        if (r.Comparison is { } cmp)
        {
            var latency = cmp.LatencyRatio is { } ratio ? $": latency {Output.F(cmp.ReferenceMicroseconds ?? 0, "F1")} us -> {Output.F(cmp.CandidateMicroseconds ?? 0, "F1")} us ({Output.F(ratio, "F3")}x, median, {cmp.IntraOpThreads} thread(s), interleaved)" : "";
            w.WriteLine($"  vs input on {cmp.Samples} sample(s){latency}");
            foreach (var o in cmp.Outputs)
            {
                var top1 = o.Top1Agreement is { } a ? $", top-1 {Output.F(a, "F4")}" : "";
                w.WriteLine($"    {o.Name}: cosine min {Output.F(o.MinCosine, "F5")} mean {Output.F(o.MeanCosine, "F5")}{top1}");
            }
        }

        if (r.Manifest is not null)
        {
            w.WriteLine($"  manifest {r.Manifest}: variant '{r.Variant}'");
        }
    }

    private static (string Name, double Ratio) ParseLayerRatio(string text)
    {
        var parts = text.Split('=', 2);
        if (parts.Length != 2 || parts[0].Length == 0 || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            throw new CliUsageException($"--layer-ratio '{text}': expected CONV=R, e.g. conv2=0.5.");
        }

        CheckFraction($"--layer-ratio {parts[0]}", value);
        return (parts[0], value);
    }

    private static void CheckFraction(string option, double? value)
    {
        if (value is { } v && !(v is >= 0 and < 1))
        {
            throw new CliUsageException($"{option} {v.ToString(CultureInfo.InvariantCulture)}: expected a fraction in [0, 1), e.g. 0.3.");
        }
    }

    private static long Compressed(byte[] bytes)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZLibStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
        {
            zip.Write(bytes);
        }

        return buffer.Length;
    }
}

using System.CommandLine;
using EdgeAI.Quantization.Calibration;
using EdgeAI.Quantization.Evaluation;
using EdgeAI.Quantization.Onnx;

namespace EdgeAI.QuantCli;

/// <summary><c>compare FP32 QUANT --data DIR</c>: agreement, size and side-by-side latency.</summary>
internal static class CompareCommand
{
    public static Command Create()
    {
        var reference = new Argument<string>("FP32") { Description = "The reference .onnx model (or model directory: its default variant)." };
        var candidate = new Argument<string>("QUANT") { Description = "The quantized .onnx model." };
        var data = new Option<string>("--data") { Description = "Directory of .npy inputs, laid out like a calibration set.", Required = true };
        var repeats = new Option<int>("--repeats") { Description = "Timed runs of each model per sample, interleaved (0: no timing).", DefaultValueFactory = _ => 10 };
        var threads = new Option<int>("--threads") { Description = "ONNX Runtime intra-op threads for both models.", DefaultValueFactory = _ => 1 };
        var minCosine = new Option<double?>("--min-cosine") { Description = "Fail (exit 1) when any sample's cosine similarity is below this." };
        var minTop1 = new Option<double?>("--min-top1") { Description = "Fail (exit 1) when top-1 agreement of any classifier-shaped output is below this fraction." };
        var minSqnr = new Option<double?>("--min-sqnr") { Description = "Fail (exit 1) when any output's SQNR (dB) is below this." };

        var command = new Command("compare", "Run both models on the same inputs: max abs diff, cosine, top-1 agreement, SQNR per output, size and latency ratios.");
        command.Arguments.Add(reference);
        command.Arguments.Add(candidate);
        foreach (var o in new Option[] { data, repeats, threads, minCosine, minTop1, minSqnr })
        {
            command.Options.Add(o);
        }

        command.SetAction(parse =>
        {
            var referencePath = ModelLocation.Resolve(parse.GetValue(reference)!).OnnxPath;
            var candidatePath = parse.GetValue(candidate)!;
            if (!File.Exists(candidatePath))
            {
                throw new CliUsageException($"Model '{candidatePath}' does not exist.");
            }

            var options = new ModelComparisonOptions { IntraOpThreads = parse.GetValue(threads), TimingRepeats = parse.GetValue(repeats) };
            var referenceModel = OnnxModel.Load(referencePath);
            var candidateModel = OnnxModel.Load(candidatePath);
            var samples = NpyCalibrationSet.Read(parse.GetValue(data)!, QuantizeCommand.GraphInputNames(referenceModel));
            var comparison = ModelComparer.Compare(referenceModel.ToSelfContainedBytes(), candidateModel.ToSelfContainedBytes(), samples, options);

            var failed = new List<string>();
            foreach (var o in comparison.Outputs)
            {
                if (parse.GetValue(minCosine) is { } c && o.MinCosine < c)
                {
                    failed.Add($"output '{o.Name}': cosine {Output.F(o.MinCosine, "F4")} < {Output.F(c)}");
                }

                if (parse.GetValue(minTop1) is { } t && o.Top1Agreement is { } a && a < t)
                {
                    failed.Add($"output '{o.Name}': top-1 agreement {Output.F(a, "F4")} < {Output.F(t)}");
                }

                if (parse.GetValue(minSqnr) is { } s && o.SqnrDb < s)
                {
                    failed.Add($"output '{o.Name}': SQNR {Output.F(o.SqnrDb, "F1")} dB < {Output.F(s)} dB");
                }
            }

            var report = new CompareReport(
                Path.GetFullPath(referencePath),
                Path.GetFullPath(candidatePath),
                comparison.SampleCount,
                new FileInfo(referencePath).Length,
                new FileInfo(candidatePath).Length,
                (double)new FileInfo(candidatePath).Length / new FileInfo(referencePath).Length,
                Output.Finite(comparison.ReferenceMicroseconds),
                Output.Finite(comparison.CandidateMicroseconds),
                Output.Finite(comparison.LatencyRatio),
                options.IntraOpThreads,
                [.. comparison.Outputs.Select(o => new OutputReport(o.Name, o.MaxAbsDiff, o.MinCosine, o.MeanCosine, Output.Finite(o.SqnrDb), o.Top1Agreement))],
                failed);
            Output.Write(parse, report, ReportJsonContext.Default.CompareReport, w => WriteText(w, report));
            if (failed.Count > 0)
            {
                throw new CliCheckFailedException($"agreement below the floor: {string.Join("; ", failed)}");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static void WriteText(TextWriter w, CompareReport r)
    {
        w.WriteLine($"{r.Candidate} vs {r.Reference}, {r.Samples} sample(s)");
        w.WriteLine($"  size {r.ReferenceBytes:N0} -> {r.CandidateBytes:N0} bytes ({Output.F(r.SizeRatio, "F3")}x)");
        if (r.LatencyRatio is { } ratio)
        {
            w.WriteLine($"  latency {Output.F(r.ReferenceMicroseconds ?? 0, "F1")} us -> {Output.F(r.CandidateMicroseconds ?? 0, "F1")} us ({Output.F(ratio, "F3")}x, median, {r.IntraOpThreads} thread(s), interleaved)");
        }

        foreach (var o in r.Outputs)
        {
            var top1 = o.Top1Agreement is { } a ? $", top-1 {Output.F(a, "F4")}" : "";
            var sqnr = o.SqnrDb is { } s ? Output.F(s, "F1") : "inf";
            w.WriteLine($"  {o.Name}: max |diff| {Output.F(o.MaxAbsDiff)}, cosine min {Output.F(o.MinCosine, "F5")} mean {Output.F(o.MeanCosine, "F5")}, SQNR {sqnr} dB{top1}");
        }
    }
}

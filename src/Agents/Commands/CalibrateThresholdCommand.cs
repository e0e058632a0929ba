using System.CommandLine;
using System.Globalization;
using EdgeAI.Agents.Inspection;

namespace EdgeAI.Agents.Commands;

/// <summary>
/// <c>edgeai calibrate-threshold DIR</c>: teaches a line its own reject threshold from pictures of its good parts, the way a
/// line is commissioned. The manifest's threshold was picked at 2% false rejects on the model's validation surfaces; a line's
/// surface may score higher or lower, so the same threshold can reject more or fewer of its good parts.
/// </summary>
internal static class CalibrateThresholdCommand
{
    public static Command Create()
    {
        var path = new Argument<string>("path") { Description = "A folder of pictures (PNG, JPEG, BMP) of good parts only, as the line camera takes them." };
        var rate = new Option<double>("--false-rejects") { Description = "Share of good parts the threshold may reject, 0-0.5.", DefaultValueFactory = _ => 0.02 };
        var models = new Option<string>("--models") { Description = "Folder of model directories (default: the models next to the program).", DefaultValueFactory = _ => Cli.DefaultModelsPath };
        var model = new Option<string>("--model") { Description = "Model directory name under --models.", DefaultValueFactory = _ => "defect-cnn" };
        var variant = new Option<string?>("--variant") { Description = "Model variant the line will run (default: the manifest's); thresholds do not carry over between variants." };
        var command = new Command("calibrate-threshold", "Teach the defect threshold from pictures of good parts: the lowest that rejects at most --false-rejects of them.")
        {
            path, rate, models, model, variant,
        };
        command.SetAction(parse => Execute(parse.GetValue(path)!, parse.GetValue(rate), Path.Combine(parse.GetValue(models)!, parse.GetValue(model)!), parse.GetValue(variant)));
        return command;
    }

    public static int Execute(string path, double falseRejects, string modelDirectory, string? variant)
    {
        const string Name = "calibrate-threshold";
        var ci = CultureInfo.InvariantCulture;
        if (!(falseRejects is >= 0 and <= 0.5))
        {
            Console.Error.WriteLine($"edgeai {Name}: --false-rejects {falseRejects.ToString(ci)} is not a share of parts; expected 0-0.5 (0.02 is 2%).");
            return ExitCodes.BadUsage;
        }

        if (InspectCommand.ListImages(Name, path) is not { } files || InspectCommand.LoadModel(Name, modelDirectory, variant) is not { } loaded)
        {
            return ExitCodes.BadUsage;
        }

        var scores = new List<double>(files.Length);
        int failed;
        double modelThreshold;
        string variantName;
        using (loaded)
        using (var inspector = new DefectInspector(loaded))
        {
            modelThreshold = loaded.Thresholds["defect"];
            variantName = loaded.Variant.Name;
            // A picture that cannot be read is named and left out; the threshold comes from the rest.
            failed = InspectCommand.ForEachImage(Name, files, inspector, (_, _, verdict, _) => scores.Add(verdict.ExactDefectScore));
        }

        if (scores.Count == 0)
        {
            Console.Error.WriteLine($"edgeai {Name}: no readable PNG, JPEG or BMP pictures in '{path}'.");
            return ExitCodes.BadUsage;
        }

        var taught = RejectThreshold.AtFalseRejectRate(scores.ToArray(), falseRejects);
        var sorted = scores.Order().ToArray();
        var n = sorted.Length;
        Console.Out.WriteLine(string.Create(ci, $"{n} good pictures, variant {variantName}: defect score median {sorted[n / 2]:f4}, highest {sorted[^1]:f4}"));
        Console.Out.WriteLine(string.Create(ci, $"threshold {taught:R} rejects {RejectThreshold.Rejected(sorted, taught)} of {n} (at most {falseRejects * 100:0.##}% asked)"));
        Console.Out.WriteLine(string.Create(ci, $"the manifest's threshold {modelThreshold:R} rejects {RejectThreshold.Rejected(sorted, modelThreshold)} of {n}"));
        var needed = (int)Math.Ceiling(RejectThreshold.StableRejects / Math.Max(falseRejects, 1e-9));
        if (falseRejects > 0 && n < needed)
        {
            Console.Out.WriteLine($"note: {n} pictures allow only {RejectThreshold.Allowed(n, falseRejects)} rejects at this rate; {needed} or more give a steadier threshold.");
        }

        Console.Out.WriteLine(string.Create(ci, $"use it: Inspection:DefectThreshold={taught:R} (device configuration, or EDGEAI_Inspection__DefectThreshold), or edgeai inspect --threshold {taught:R}"));
        return failed == 0 ? ExitCodes.Ok : ExitCodes.BadUsage;
    }
}

using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using EdgeAI.Agents.Inspection;
using EdgeAI.Inference;
using EdgeAI.Vision;

namespace EdgeAI.Agents.Commands;

/// <summary>
/// <c>edgeai inspect IMAGE|DIR</c>: runs the defect model on an integrator's own pictures and prints per
/// image the class, defect score and box; optionally writes heatmap overlays. Images stay on the device.
/// </summary>
internal static class InspectCommand
{
    private static readonly string[] ImageExtensions = [".png", ".jpg", ".jpeg", ".bmp"];

    public static Command Create()
    {
        var path = new Argument<string>("path") { Description = "An image file (PNG, JPEG, BMP) or a folder of them." };
        var models = new Option<string>("--models") { Description = "Folder of model directories (default: the models next to the program).", DefaultValueFactory = _ => Cli.DefaultModelsPath };
        var model = new Option<string>("--model") { Description = "Model directory name under --models.", DefaultValueFactory = _ => "defect-cnn" };
        var variant = new Option<string?>("--variant") { Description = "Model variant (default: the manifest's)." };
        var overlay = new Option<string?>("--overlay") { Description = "Write a heatmap overlay PNG per image into this folder." };
        var json = new Option<bool>("--json") { Description = "Print one JSON array of results (for scripts)." };
        var threshold = new Option<double?>("--threshold") { Description = "Reject above this defect score, 0-1 (e.g. from 'edgeai calibrate-threshold'; default: the variant's from the manifest)." };
        var command = new Command("inspect", "Run the defect model on images and print class, defect score and box per image.")
        {
            path, models, model, variant, overlay, json, threshold,
        };
        command.SetAction(parse => Execute(parse.GetValue(path)!, Path.Combine(parse.GetValue(models)!, parse.GetValue(model)!), parse.GetValue(variant), parse.GetValue(overlay), parse.GetValue(json), parse.GetValue(threshold)));
        return command;
    }

    public static int Execute(string path, string modelDirectory, string? variant, string? overlayDir, bool json, double? threshold = null)
    {
        if (threshold is { } t && !(t is >= 0 and <= 1))
        {
            Console.Error.WriteLine($"edgeai inspect: --threshold {t.ToString(CultureInfo.InvariantCulture)} is not a defect score; expected 0-1.");
            return ExitCodes.BadUsage;
        }

        if (ListImages("inspect", path) is not { } files || LoadModel("inspect", modelDirectory, variant) is not { } loaded)
        {
            return ExitCodes.BadUsage;
        }

        if (overlayDir is not null)
        {
            Directory.CreateDirectory(overlayDir);
        }

        var results = new List<DefectInspection>();
        int failed;
        using (loaded)
        using (var inspector = new DefectInspector(loaded, threshold: threshold))
        {
            failed = ForEachImage("inspect", files, inspector, (file, frame, verdict, heatmap) =>
            {
                var result = verdict.ToInspection(frame.SourceId);
                results.Add(result);
                if (overlayDir is not null)
                {
                    using var png = File.Create(Path.Combine(overlayDir, Path.GetFileNameWithoutExtension(file) + ".overlay.png"));
                    HeatmapOverlay.WritePng(frame, heatmap, inspector.HeatmapSize.Width, inspector.HeatmapSize.Height, png);
                }

                if (!json)
                {
                    Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{Path.GetFileName(file)}: {(result.Defective ? "DEFECT" : "ok")} {result.Label} score {result.DefectScore:f3} box [{string.Join(',', result.Box)}] ({result.DefectType} map) {result.LatencyMs:f2} ms"));
                }
            });
        }

        if (json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(results.ToArray(), AgentsJsonContext.Output.DefectInspectionArray));
        }

        if (files.Length == 0)
        {
            Console.Error.WriteLine($"edgeai inspect: no PNG, JPEG or BMP files in '{path}'.");
            return ExitCodes.BadUsage;
        }

        return failed == 0 ? ExitCodes.Ok : ExitCodes.BadUsage;
    }

    /// <summary>The pictures at <paramref name="path"/> (a file, or a folder's PNG, JPEG and BMP files in name order); null after an error message.</summary>
    internal static string[]? ListImages(string command, string path)
    {
        if (Directory.Exists(path))
        {
            return Directory.GetFiles(path).Where(f => ImageExtensions.Contains(Path.GetExtension(f).ToLowerInvariant())).Order(StringComparer.Ordinal).ToArray();
        }

        if (File.Exists(path))
        {
            return [path];
        }

        Console.Error.WriteLine($"edgeai {command}: '{path}' is neither an image file nor a folder.");
        return null;
    }

    /// <summary>
    /// Decodes and inspects each file in turn, handing the frame, its verdict and heatmap to <paramref name="inspected"/>; a
    /// picture that cannot be read or decoded is named on stderr and skipped. Returns how many were skipped.
    /// </summary>
    internal static int ForEachImage(string command, string[] files, DefectInspector inspector, Action<string, Frame, InspectionVerdict, float[]> inspected)
    {
        var decoder = new ImageDecoder();
        var heatmap = new float[inspector.HeatmapSize.Width * inspector.HeatmapSize.Height];
        var failed = 0;
        long sequence = 0;
        foreach (var file in files)
        {
            try
            {
                using var frame = decoder.Decode(File.ReadAllBytes(file), PixelFormat.Rgb24, file, sequence++, DateTimeOffset.UtcNow);
                inspected(file, frame, inspector.Inspect(frame, heatmap), heatmap);
            }
            catch (Exception ex) when (ex is ImageFormatException or IOException or UnauthorizedAccessException)
            {
                // A bad picture is reported and skipped; the others are still inspected.
                failed++;
                Console.Error.WriteLine($"edgeai {command}: skipped {file}: {ex.Message}");
            }
        }

        return failed;
    }

    /// <summary>Loads the model; null after an error message.</summary>
    internal static EdgeModel? LoadModel(string command, string modelDirectory, string? variant)
    {
        try
        {
            return EdgeModel.Load(modelDirectory, new EdgeModelOptions { Variant = variant });
        }
        catch (Exception ex) when (ex is EdgeModelException or IOException)
        {
            Console.Error.WriteLine($"edgeai {command}: {ex.Message}");
            return null;
        }
    }
}

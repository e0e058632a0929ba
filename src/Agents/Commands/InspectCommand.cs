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
        var command = new Command("inspect", "Run the defect model on images and print class, defect score and box per image.")
        {
            path, models, model, variant, overlay, json,
        };
        command.SetAction(parse => Execute(parse.GetValue(path)!, Path.Combine(parse.GetValue(models)!, parse.GetValue(model)!), parse.GetValue(variant), parse.GetValue(overlay), parse.GetValue(json)));
        return command;
    }

    public static int Execute(string path, string modelDirectory, string? variant, string? overlayDir, bool json)
    {
        string[] files;
        if (Directory.Exists(path))
        {
            files = Directory.GetFiles(path).Where(f => ImageExtensions.Contains(Path.GetExtension(f).ToLowerInvariant())).Order(StringComparer.Ordinal).ToArray();
        }
        else if (File.Exists(path))
        {
            files = [path];
        }
        else
        {
            Console.Error.WriteLine($"edgeai inspect: '{path}' is neither an image file nor a folder.");
            return ExitCodes.BadUsage;
        }

        EdgeModel loaded;
        try
        {
            loaded = EdgeModel.Load(modelDirectory, new EdgeModelOptions { Variant = variant });
        }
        catch (Exception ex) when (ex is EdgeModelException or IOException)
        {
            Console.Error.WriteLine($"edgeai inspect: {ex.Message}");
            return ExitCodes.BadUsage;
        }

        if (overlayDir is not null)
        {
            Directory.CreateDirectory(overlayDir);
        }

        var results = new List<DefectInspection>();
        var failed = 0;
        using (loaded)
        using (var inspector = new DefectInspector(loaded))
        {
            var decoder = new ImageDecoder();
            var heatmap = new float[inspector.HeatmapSize.Width * inspector.HeatmapSize.Height];
            long sequence = 0;
            foreach (var file in files)
            {
                try
                {
                    using var frame = decoder.Decode(File.ReadAllBytes(file), PixelFormat.Rgb24, file, sequence++, DateTimeOffset.UtcNow);
                    var result = inspector.Inspect(frame, heatmap).ToInspection(frame.SourceId);
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
                }
                catch (Exception ex) when (ex is ImageFormatException or IOException or UnauthorizedAccessException)
                {
                    // A bad picture is reported and skipped; the others are still inspected.
                    failed++;
                    Console.Error.WriteLine($"edgeai inspect: skipped {file}: {ex.Message}");
                }
            }
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
}

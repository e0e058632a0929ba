using System.CommandLine;
using EdgeAI.Inference;
using EdgeAI.Quantization.Calibration;
using EdgeAI.Quantization.Onnx;

namespace EdgeAI.QuantCli;

/// <summary>The calibration options of <c>quantize static</c>: data directory and its format, range method, and the manifest whose preprocessing turns pictures and recordings into tensors.</summary>
internal sealed class CalibrationInputs
{
    public Option<string> Data { get; } = new("--calibration-data", "--calibration")
    {
        Description = "Calibration directory: .npy tensors (one file per sample, or one folder per sample with <input>.npy), pictures (.png/.jpg/.bmp) or .wav recordings; pictures and recordings are preprocessed as the manifest says.",
        Required = true,
    };

    public Option<string> Format { get; } = CreateFormat();

    public Option<string> Method { get; } = CreateMethod();

    public Option<double> Percentile { get; } = new("--percentile") { Description = "Upper percentile for --method percentile.", DefaultValueFactory = _ => 99.99 };

    public Option<string?> Manifest { get; } = new("--manifest")
    {
        Description = "manifest.json whose preprocessing block describes picture or WAV calibration data (default: MODEL's own manifest when MODEL is a model directory).",
    };

    public IEnumerable<Option> All => [Data, Format, Method, Percentile, Manifest];

    /// <summary>Opens a directory as calibration (or accuracy) data for <paramref name="model"/>.</summary>
    public CalibrationFolder Open(ParseResult parse, string directory, ModelLocation location, OnnxModel model)
    {
        var format = Enum.Parse<CalibrationDataFormat>(parse.GetValue(Format)!, ignoreCase: true);
        var inputs = QuantizeCommand.GraphInputNames(model);
        string? manifestPath = parse.GetValue(Manifest)
            ?? (location.Directory is { } dir ? Path.Combine(dir, ModelManifest.FileName) : null);
        var preprocessing = parse.GetValue(Manifest) is { } explicitPath
            ? (File.Exists(explicitPath) ? ModelManifestReader.Read(explicitPath).Preprocessing : throw new CliUsageException($"--manifest '{explicitPath}' does not exist."))
            : location.Manifest?.Preprocessing;
        return CalibrationFolder.Open(directory, inputs, format, preprocessing, manifestPath, AudioFrames(model, inputs));
    }

    /// <summary>Calibrates <paramref name="model"/> on --calibration-data with progress on standard error; skipped files are listed there too.</summary>
    public (CalibrationResult Ranges, IReadOnlyList<SkippedCalibrationFile> Skipped) Calibrate(ParseResult parse, ModelLocation location, OnnxModel model)
    {
        var folder = Open(parse, parse.GetValue(Data)!, location, model);
        var options = new CalibrationOptions
        {
            Method = Enum.Parse<CalibrationMethod>(parse.GetValue(Method)!, ignoreCase: true),
            Percentile = parse.GetValue(Percentile),
        };
        var error = parse.InvocationConfiguration.Error;
        var ranges = Calibrator.Calibrate(model, CalibrationProgress.Track(folder, folder.SampleCount, error, CalibrationProgress.IsTerminal(error)), options);
        foreach (var skipped in folder.Skipped)
        {
            error.WriteLine($"edgeai-quant: skipped calibration file: {skipped.Reason}");
        }

        return (ranges, [.. folder.Skipped]);
    }

    /// <summary>The fixed frame count of a one-input [1, frames, bins] model, which recordings are cut or padded to.</summary>
    private static int? AudioFrames(OnnxModel model, IReadOnlyList<string> inputs) =>
        inputs.Count == 1 && model.Graph.FindTensorInfo(inputs[0])?.Shape is { Count: 3 } shape && shape[1].Value is > 0 and <= int.MaxValue and var frames
            ? (int)frames
            : null;

    private static Option<string> CreateFormat()
    {
        var option = new Option<string>("--calibration-format") { Description = "What --calibration-data holds: auto (detect from the files), npy, image or wav.", DefaultValueFactory = _ => "auto" };
        option.AcceptOnlyFromAmong("auto", "npy", "image", "wav");
        return option;
    }

    private static Option<string> CreateMethod()
    {
        var option = new Option<string>("--method") { Description = "Range calibration: minmax, percentile or entropy (KL divergence, TensorRT-style).", DefaultValueFactory = _ => "minmax" };
        option.AcceptOnlyFromAmong("minmax", "percentile", "entropy");
        return option;
    }
}

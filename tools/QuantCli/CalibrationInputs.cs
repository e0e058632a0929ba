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
        Description = "Calibration directory: .npy tensors, pictures (.png/.jpg/.bmp) or .wav recordings (log-mel or waveform inputs), one file per sample; for several inputs one folder per input named after it, files paired by name (or one folder per sample with <input>.npy). Pictures and recordings are preprocessed as the manifest says, per input.",
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
        var (manifest, manifestPath) = ResolveManifest(parse.GetValue(Manifest), location);
        return CalibrationFolder.Open(directory, model, manifest, manifestPath, format);
    }

    /// <summary>The manifest whose preprocessing describes pictures and recordings: <c>--manifest</c>, else MODEL's own.</summary>
    public static (ModelManifest? Manifest, string? Path) ResolveManifest(string? explicitPath, ModelLocation location)
    {
        if (explicitPath is not null)
        {
            return File.Exists(explicitPath)
                ? (ModelManifestReader.Read(explicitPath), explicitPath)
                : throw new CliUsageException($"--manifest '{explicitPath}' does not exist.");
        }

        return (location.Manifest, location.Directory is { } dir ? System.IO.Path.Combine(dir, ModelManifest.FileName) : null);
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

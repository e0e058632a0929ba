using EdgeAI.Agents.Hosting;
using Microsoft.Extensions.Options;

namespace EdgeAI.Agents.Inspection;

/// <summary>
/// Start-up validation of <c>Inspection</c>: every failure names the configuration key and what it expects,
/// and the settings of the selected source are checked by the SDK source's own validation.
/// </summary>
internal sealed class InspectionOptionsValidator(IOptions<DeviceOptions> device) : IValidateOptions<InspectionOptions>
{
    private const string SourceKey = "Inspection:Source:";

    public ValidateOptionsResult Validate(string? name, InspectionOptions options)
    {
        if (!options.Enabled)
        {
            return ValidateOptionsResult.Success;
        }

        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Model) || options.Model.Contains("..", StringComparison.Ordinal) || Path.IsPathRooted(options.Model))
        {
            errors.Add($"Inspection:Model '{options.Model}' must be a model directory name under Device:ModelsPath.");
        }

        if (!Enum.IsDefined(options.Publish))
        {
            errors.Add($"Inspection:Publish is {options.Publish}; expected frame or defect.");
        }

        if (options.QueueCapacity is < 1 or > 8)
        {
            errors.Add($"Inspection:QueueCapacity is {options.QueueCapacity}; expected 1-8 frames.");
        }

        if (!(options.RegionMinProbability is >= 0 and <= 1))
        {
            errors.Add($"Inspection:RegionMinProbability is {options.RegionMinProbability}; expected 0-1.");
        }

        if (options.DefectThreshold is { } threshold && !(threshold is >= 0 and <= 1))
        {
            errors.Add($"Inspection:DefectThreshold is {threshold}; expected a defect score 0-1 (edgeai calibrate-threshold teaches one), or no value for the model's own.");
        }

        if (options.MaxRegions is < 1 or > 64)
        {
            errors.Add($"Inspection:MaxRegions is {options.MaxRegions}; expected 1-64.");
        }

        CheckSource(errors, options);
        CheckSaveImages(errors, options.SaveImages);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private void CheckSource(List<string> errors, InspectionOptions options)
    {
        var source = options.Source;
        switch (source.Kind)
        {
            case InspectionSourceKind.Simulated:
                var pictures = InspectionSources.ResolvePath(options, device.Value);
                if (InspectionSources.Pictures(pictures).Length == 0)
                {
                    errors.Add($"{SourceKey}Path '{pictures}' holds no PNG, JPEG or BMP pictures; a simulated source replays a folder of them.");
                }

                if (!(source.FramesPerSecond is >= 0.1 and <= 1000))
                {
                    errors.Add($"{SourceKey}FramesPerSecond is {source.FramesPerSecond}; expected 0.1-1000 for a simulated source.");
                }

                break;
            case InspectionSourceKind.Folder:
                if (string.IsNullOrWhiteSpace(source.Path))
                {
                    errors.Add($"{SourceKey}Path is empty; a folder source needs the folder to watch.");
                }
                else if (!Directory.Exists(DeviceOptions.Resolve(source.Path)))
                {
                    errors.Add($"{SourceKey}Path '{DeviceOptions.Resolve(source.Path)}' does not exist; expected the folder the camera writes to.");
                }

                CheckSdk(errors, () => source.ToFolder().Validate());
                break;
            case InspectionSourceKind.Mjpeg:
                if (!Uri.TryCreate(source.Url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
                {
                    errors.Add($"{SourceKey}Url '{source.Url}' is not an absolute http or https URL; expected the camera's MJPEG stream address.");
                }

                CheckSdk(errors, () => source.ToMjpeg().Validate());
                break;
            case InspectionSourceKind.Ffmpeg:
                if (string.IsNullOrWhiteSpace(source.Input))
                {
                    errors.Add($"{SourceKey}Input is empty; expected what ffmpeg reads after -i (a file, an rtsp:// URL, a lavfi graph).");
                }

                CheckSdk(errors, () => source.ToFfmpeg().Validate());
                break;
            case InspectionSourceKind.V4l2:
                if (string.IsNullOrWhiteSpace(source.Device))
                {
                    errors.Add($"{SourceKey}Device is empty; expected the camera device, e.g. /dev/video0.");
                }
                else if (!File.Exists(source.Device))
                {
                    errors.Add($"{SourceKey}Device '{source.Device}' does not exist; expected the camera device, e.g. /dev/video0.");
                }

                if (source.Width is < 16 or > 8192 || source.Height is < 16 or > 8192)
                {
                    errors.Add($"{SourceKey}Width and Height are {source.Width}x{source.Height}; expected 16-8192 pixels each.");
                }

                if (!(source.FramesPerSecond is >= 1 and <= 240))
                {
                    errors.Add($"{SourceKey}FramesPerSecond is {source.FramesPerSecond}; expected 1-240 for a V4L2 camera.");
                }

                CheckSdk(errors, () => source.ToFfmpeg().Validate());
                break;
            default:
                errors.Add($"{SourceKey}Kind is {source.Kind}; expected simulated, folder, mjpeg, ffmpeg or v4l2.");
                break;
        }
    }

    private static void CheckSaveImages(List<string> errors, ImageSaveOptions save)
    {
        if (!Enum.IsDefined(save.Mode))
        {
            errors.Add($"Inspection:SaveImages:Mode is {save.Mode}; expected none, defects or all.");
        }

        if (save.Mode == ImageSaveMode.None)
        {
            return;
        }

        if (string.IsNullOrWhiteSpace(save.Directory))
        {
            errors.Add($"Inspection:SaveImages:Directory is empty; Mode {save.Mode} needs a folder for the pictures.");
        }

        if (save.MaxFiles is < 1 or > 1_000_000)
        {
            errors.Add($"Inspection:SaveImages:MaxFiles is {save.MaxFiles}; expected 1-1000000.");
        }

        if (save.MaxBytes is < 1024 or > 1L << 40)
        {
            errors.Add($"Inspection:SaveImages:MaxBytes is {save.MaxBytes}; expected 1024 bytes to 1 TiB.");
        }
    }

    // The SDK names its own option ("FolderCameraOptions.PollInterval is ..."); the same setting lives at
    // Inspection:Source:PollInterval in the device's configuration.
    private static void CheckSdk(List<string> errors, Action validate)
    {
        try
        {
            validate();
        }
        catch (ArgumentException ex)
        {
            var message = ex.Message;
            var dot = message.IndexOf("Options.", StringComparison.Ordinal);
            var start = dot < 0 ? -1 : message.LastIndexOf(' ', dot) + 1;
            if (dot >= 0)
            {
                message = string.Concat(message.AsSpan(0, start), SourceKey, message.AsSpan(dot + "Options.".Length));
            }

            var suffix = message.IndexOf(" (Parameter '", StringComparison.Ordinal);
            errors.Add(suffix > 0 ? message[..suffix] : message);
        }
    }
}

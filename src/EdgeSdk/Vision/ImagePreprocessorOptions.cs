using System.Globalization;
using EdgeAI.Inference;

namespace EdgeAI.Vision;

/// <summary>
/// What an image model expects as input: size, channels and per-channel normalization. Usually built
/// from the model manifest with <see cref="FromSpec"/>, so agents never hard-code it.
/// </summary>
public sealed class ImagePreprocessorOptions
{
    /// <summary>Manifest parameter that selects <see cref="ResizeMode.CenterCrop"/> when non-zero.</summary>
    public const string CenterCropParameter = "center_crop";

    /// <summary>Manifest parameter for <see cref="CropFraction"/>.</summary>
    public const string CropFractionParameter = "crop_fraction";

    /// <summary>Tensor width in pixels (> 0).</summary>
    public int Width { get; set; }

    /// <summary>Tensor height in pixels (> 0).</summary>
    public int Height { get; set; }

    /// <summary>Tensor channels: 1 (gray, BT.601 luma) or 3 (R, G, B planes in that order).</summary>
    public int Channels { get; set; } = 3;

    /// <summary>Per-channel mean subtracted after scaling pixels to [0, 1]; one value per channel (default 0).</summary>
    public float[]? Mean { get; set; }

    /// <summary>Per-channel standard deviation divided by after subtracting the mean; one positive value per channel (default 1).</summary>
    public float[]? Std { get; set; }

    /// <summary>How the image is fitted to the tensor size (default <see cref="ResizeMode.Stretch"/>).</summary>
    public ResizeMode Resize { get; set; } = ResizeMode.Stretch;

    /// <summary>With <see cref="ResizeMode.CenterCrop"/>, the share of the largest centered region that is kept, in (0, 1] (default 1).</summary>
    public double CropFraction { get; set; } = 1.0;

    /// <summary>Number of floats the tensor holds: channels × height × width (batch of one, NCHW).</summary>
    public int TensorLength => Channels * Height * Width;

    /// <summary>Reads the options from a manifest's preprocessing section.</summary>
    /// <param name="spec">The manifest's <c>preprocessing</c> object (<see cref="ModelManifest.Preprocessing"/>); <c>kind</c> must be <c>image</c>.</param>
    /// <param name="manifestPath">Where the spec came from, for messages.</param>
    /// <exception cref="ModelFormatException">The section is missing, or a field is missing or out of range; the message names it and the expected value.</exception>
    public static ImagePreprocessorOptions FromSpec(PreprocessingSpec? spec, string? manifestPath = null)
    {
        var where = PreprocessingValidation.Where(manifestPath);
        if (spec is null)
        {
            throw new ModelFormatException($"preprocessing is missing in {where}; an image model needs kind 'image', width, height and channels.", manifestPath);
        }

        if (!string.Equals(spec.Kind, "image", StringComparison.Ordinal))
        {
            throw new ModelFormatException($"preprocessing.kind in {where} is '{spec.Kind}'; expected 'image'.", manifestPath);
        }

        var options = new ImagePreprocessorOptions
        {
            Width = spec.Width ?? throw Missing("width", where, manifestPath),
            Height = spec.Height ?? throw Missing("height", where, manifestPath),
            Channels = spec.Channels ?? throw Missing("channels", where, manifestPath),
            Mean = spec.Mean,
            Std = spec.Std,
        };

        if (spec.Parameters.TryGetValue(CenterCropParameter, out var crop) && crop != 0)
        {
            options.Resize = ResizeMode.CenterCrop;
        }

        if (spec.Parameters.TryGetValue(CropFractionParameter, out var fraction))
        {
            options.CropFraction = fraction;
        }

        return PreprocessingValidation.Checked(options, options.Validate, manifestPath);
    }

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentException">A setting is out of range; the message names it and the expected value.</exception>
    public void Validate()
    {
        if (Width <= 0 || Height <= 0 || (long)Width * Height * Math.Max(Channels, 1) > Array.MaxLength)
        {
            throw new ArgumentException($"width x height is {Width}x{Height}; expected positive sizes whose tensor fits in one array.", nameof(Width));
        }

        if (Channels is not (1 or 3))
        {
            throw new ArgumentException($"channels is {Channels}; expected 1 (gray) or 3 (RGB).", nameof(Channels));
        }

        CheckPerChannel(Mean, "mean", requirePositive: false);
        CheckPerChannel(Std, "std", requirePositive: true);
        if (Resize is not (ResizeMode.Stretch or ResizeMode.CenterCrop))
        {
            throw new ArgumentException($"resize mode is {Resize}; expected Stretch or CenterCrop.", nameof(Resize));
        }

        if (!(CropFraction > 0 && CropFraction <= 1))
        {
            throw new ArgumentException($"{CropFractionParameter} is {CropFraction.ToString(CultureInfo.InvariantCulture)}; expected a value in (0, 1].", nameof(CropFraction));
        }
    }

    private void CheckPerChannel(float[]? values, string name, bool requirePositive)
    {
        if (values is null)
        {
            return;
        }

        if (values.Length != Channels)
        {
            throw new ArgumentException($"{name} has {values.Length} value(s); expected one per channel ({Channels}).", name);
        }

        for (var i = 0; i < values.Length; i++)
        {
            var v = values[i];
            if (!float.IsFinite(v) || (requirePositive && v <= 0))
            {
                throw new ArgumentException(
                    $"{name}[{i}] is {v.ToString(CultureInfo.InvariantCulture)}; expected a finite{(requirePositive ? " positive" : "")} number.", name);
            }
        }
    }

    private static ModelFormatException Missing(string field, string where, string? path) =>
        new($"preprocessing.{field} is missing in {where}; image preprocessing needs width, height and channels.", path);
}

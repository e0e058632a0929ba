using EdgeAI.Inference;
using EdgeAI.Vision;

namespace EdgeAI.Quantization.Calibration;

/// <summary>
/// One picture to one [1, C, H, W] tensor exactly as the device computes it: <see cref="ImageDecoder"/> to RGB
/// (the camera sources' default format) and <see cref="ImagePreprocessor"/> with the manifest's preprocessing.
/// </summary>
internal sealed class ImageCalibrationReader
{
    private readonly ImageDecoder _decoder = new();
    private readonly ImagePreprocessor _preprocessor;

    public ImageCalibrationReader(PreprocessingSpec? spec, string? manifestPath)
    {
        _preprocessor = new ImagePreprocessor(ImagePreprocessorOptions.FromSpec(spec, manifestPath));
    }

    /// <exception cref="ImageFormatException">The file is not a usable picture.</exception>
    public NpyArray Read(string path)
    {
        using var frame = _decoder.Decode(File.ReadAllBytes(path), PixelFormat.Rgb24, path, 0, DateTimeOffset.UnixEpoch);
        var tensor = new float[_preprocessor.TensorLength];
        _preprocessor.Process(frame, tensor);
        return NpyArray.FromSingles(tensor, 1, _preprocessor.Channels, _preprocessor.Height, _preprocessor.Width);
    }
}

using EdgeAI.Audio;

namespace EdgeAI.Quantization.Calibration;

/// <summary>
/// One recording to one waveform tensor exactly as the device feeds it: <see cref="WavReader"/> (mixed to mono), then
/// <see cref="WaveformWindow"/> (resampled to the manifest's rate, the first N samples, zeros after a short recording).
/// N is the input's fixed last dimension; with a symbolic one each recording keeps its whole (resampled) length.
/// </summary>
internal sealed class WaveformCalibrationReader
{
    private readonly WaveformOptions _options;
    private readonly long[] _shape;
    private readonly int? _length;

    public WaveformCalibrationReader(CalibrationInput input, string? manifestPath, string directory)
    {
        _options = WaveformOptions.FromSpec(input.Preprocessing, manifestPath);
        var declared = input.Shape ?? [1, null];
        if (declared.Count == 0 || declared.Take(declared.Count - 1).Any(d => d is not (null or 1)) || declared[^1] is <= 0 or > int.MaxValue)
        {
            throw new CalibrationDataException(
                $"Graph input '{input.Name}' is [{string.Join(", ", declared.Select(d => d?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"))}]; waveform calibration data (preprocessing features '{AudioFeatures.Waveform}') fills [N], [1, N] or [1, 1, N] inputs.",
                directory);
        }

        _shape = [.. declared.Select(d => d ?? 1)];
        _length = (int?)declared[^1];
    }

    /// <exception cref="WavFormatException">The file is not a usable WAV, or holds no samples.</exception>
    public NpyArray Read(string path)
    {
        var audio = WavReader.ReadFile(path);
        if (audio.Samples.Length == 0)
        {
            throw new WavFormatException($"WAV '{path}' holds no samples; expected a recording (an empty one would calibrate on silence).", path);
        }

        // A symbolic length keeps the whole recording: ceil(n · rate / file rate) samples, what the resampler gives.
        var length = _length ?? checked((int)Math.Max(1, (((long)audio.Samples.Length * _options.SampleRate) + audio.SampleRate - 1) / audio.SampleRate));
        _shape[^1] = length;
        return NpyArray.FromSingles(WaveformWindow.FromRecording(audio, _options, length), _shape);
    }
}

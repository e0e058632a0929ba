using EdgeAI.Audio;
using EdgeAI.Inference;

namespace EdgeAI.Quantization.Calibration;

/// <summary>
/// One recording to one [1, frames, melBins] tensor exactly as the device computes it: <see cref="WavReader"/>
/// (mixed to mono), <see cref="AudioResampler"/> to the manifest's sample rate, <see cref="LogMelExtractor"/> with
/// the manifest's preprocessing (any mel scale, normalization and framing). With a fixed frame count (from the model's
/// input shape) the first frames of the whole recording are kept and shorter ones padded with silence (the log floor).
/// </summary>
internal sealed class WavCalibrationReader
{
    private readonly LogMelExtractor _extractor;
    private readonly int? _frames;

    public WavCalibrationReader(PreprocessingSpec? spec, string? manifestPath, int? frames)
    {
        _extractor = new LogMelExtractor(LogMelOptions.FromSpec(spec, manifestPath));
        _frames = frames;
    }

    /// <summary>The fixed frame count of a [1, frames, bins] input, which recordings are cut or padded to; <see langword="null"/> to keep each recording's length.</summary>
    public static int? FramesOf(IReadOnlyList<long?>? shape) =>
        shape is { Count: 3 } && shape[1] is > 0 and <= int.MaxValue and var frames ? (int)frames : null;

    /// <exception cref="WavFormatException">The file is not a usable WAV, or is shorter than one analysis window.</exception>
    public NpyArray Read(string path)
    {
        var audio = WavReader.ReadFile(path);
        var samples = AudioResampler.Resample(audio.Samples, audio.SampleRate, _extractor.Options.SampleRate);
        var available = _extractor.FrameCount(samples.Length);
        if (available == 0)
        {
            throw new WavFormatException(
                $"WAV '{path}' holds {audio.DurationSeconds * 1000:F1} ms; expected at least one analysis window ({_extractor.Options.WindowLength} samples at {_extractor.Options.SampleRate} Hz).",
                path);
        }

        // Features of the whole recording, then the first frames: centred frames near a cut would otherwise be padded
        // where the device saw signal.
        var all = _extractor.Compute(samples);
        var frames = _frames ?? available;
        var melBins = _extractor.MelBins;
        var features = new float[frames * melBins];
        var computed = Math.Min(frames, available);
        all.AsSpan(0, computed * melBins).CopyTo(features);
        features.AsSpan(computed * melBins).Fill(MathF.Log(_extractor.Options.LogFloor));
        return NpyArray.FromSingles(features, 1, frames, melBins);
    }
}

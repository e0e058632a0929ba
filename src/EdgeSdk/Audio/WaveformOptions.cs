using EdgeAI.Inference;

namespace EdgeAI.Audio;

/// <summary>
/// What a model that takes the waveform itself expects (manifest <c>kind: audio</c>, <c>features: waveform</c>): mono
/// samples in [-1, 1] at <see cref="SampleRate"/>; audio at another rate is resampled first (<see cref="WaveformWindow"/>).
/// </summary>
public sealed class WaveformOptions
{
    /// <summary>Samples per second the model takes (1 to 1,000,000; default 16000).</summary>
    public int SampleRate { get; set; } = 16000;

    /// <summary>Reads the options from a manifest's preprocessing section.</summary>
    /// <param name="spec">The manifest's <c>preprocessing</c> object: <c>kind</c> <c>audio</c>, <c>features</c> <c>waveform</c>
    /// and <c>sampleRate</c> are required; log-mel fields are not allowed (they would say the model takes features).</param>
    /// <param name="manifestPath">Where the spec came from, for messages.</param>
    /// <exception cref="ModelFormatException">The section is missing, or a field is missing, out of range or does not apply; the message names it.</exception>
    public static WaveformOptions FromSpec(PreprocessingSpec? spec, string? manifestPath = null)
    {
        var where = PreprocessingValidation.Where(manifestPath);
        if (spec is null)
        {
            throw new ModelFormatException($"preprocessing is missing in {where}; a waveform model needs kind 'audio', features '{AudioFeatures.Waveform}' and sampleRate.", manifestPath);
        }

        if (!AudioFeatures.IsWaveform(spec))
        {
            throw new ModelFormatException(
                $"preprocessing in {where} is kind '{spec.Kind}' with features '{spec.Features ?? "(none)"}'; expected kind 'audio' with features '{AudioFeatures.Waveform}'.",
                manifestPath);
        }

        string? logMelField = spec.MelBins is not null ? "melBins"
            : spec.WindowMs is not null ? "windowMs"
            : spec.HopMs is not null ? "hopMs"
            : spec.MelScale is not null ? "melScale"
            : spec.MelNorm is not null ? "melNorm"
            : spec.Center is not null ? "center"
            : spec.PadMode is not null ? "padMode"
            : null;
        if (logMelField is not null)
        {
            throw new ModelFormatException($"preprocessing.{logMelField} in {where} is set, but features is '{AudioFeatures.Waveform}' (the model takes raw samples); remove it or use features '{AudioFeatures.LogMel}'.", manifestPath);
        }

        var options = new WaveformOptions
        {
            SampleRate = spec.SampleRate ?? throw new ModelFormatException($"preprocessing.sampleRate is missing in {where}; a waveform model needs the rate it takes samples at.", manifestPath),
        };
        return PreprocessingValidation.Checked(options, options.Validate, manifestPath);
    }

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentException">A setting is out of range; the message names it.</exception>
    public void Validate()
    {
        if (SampleRate is <= 0 or > 1_000_000)
        {
            throw new ArgumentException($"sample rate is {SampleRate} Hz; expected 1 to 1000000.", nameof(SampleRate));
        }
    }
}

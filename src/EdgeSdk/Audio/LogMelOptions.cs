using System.Globalization;
using EdgeAI.Inference;

namespace EdgeAI.Audio;

/// <summary>
/// What a speech or sound model expects as input features: sample rate, framing, FFT size and mel bins.
/// Usually built from the model manifest with <see cref="FromSpec"/>, so agents and the calibration tools
/// compute the same features.
/// </summary>
public sealed class LogMelOptions
{
    /// <summary>Manifest parameter for <see cref="FftSize"/>.</summary>
    public const string FftSizeParameter = "fft_size";

    /// <summary>Manifest parameter for <see cref="LowFrequency"/>.</summary>
    public const string LowFrequencyParameter = "f_min";

    /// <summary>Manifest parameter for <see cref="HighFrequency"/>.</summary>
    public const string HighFrequencyParameter = "f_max";

    /// <summary>Manifest parameter for <see cref="LogFloor"/>.</summary>
    public const string LogFloorParameter = "log_floor";

    /// <summary>Samples per second the features are computed at (> 0; input at another rate is resampled first).</summary>
    public int SampleRate { get; set; } = 16000;

    /// <summary>Samples per analysis window (> 0, at most <see cref="FftSize"/>; default 400, 25 ms at 16 kHz).</summary>
    public int WindowLength { get; set; } = 400;

    /// <summary>Samples between the starts of consecutive windows (> 0; default 160, 10 ms at 16 kHz).</summary>
    public int HopLength { get; set; } = 160;

    /// <summary>FFT points, a power of two ≥ <see cref="WindowLength"/> (default 512); the window is zero-padded to it.</summary>
    public int FftSize { get; set; } = 512;

    /// <summary>Mel filters (> 0; default 40).</summary>
    public int MelBins { get; set; } = 40;

    /// <summary>Lower edge of the first mel filter in Hz (≥ 0; default 0).</summary>
    public double LowFrequency { get; set; }

    /// <summary>Upper edge of the last mel filter in Hz (default: <see langword="null"/>, the Nyquist frequency).</summary>
    public double? HighFrequency { get; set; }

    /// <summary>Mel energies are clamped to at least this before the natural log (> 0; default 1e-10, so silence gives about −23).</summary>
    public float LogFloor { get; set; } = 1e-10f;

    /// <summary>The mel scale of the filterbank (default <see cref="Audio.MelScale.Htk"/>).</summary>
    public MelScale MelScale { get; set; } = MelScale.Htk;

    /// <summary>Scaling of the triangular filters (default <see cref="MelNormalization.None"/>: peak 1).</summary>
    public MelNormalization MelNormalization { get; set; } = MelNormalization.None;

    /// <summary>
    /// Centred frames (librosa and torchaudio <c>center=True</c>): frame t covers the FFT block that starts at sample
    /// t·hop − fft/2, the window centred in it, so a signal of N samples gives 1 + N/hop frames and the ends are padded
    /// as <see cref="Padding"/> says. Default <see langword="false"/>: frames only where the whole window fits.
    /// </summary>
    public bool Center { get; set; }

    /// <summary>What centred frames see beyond the signal's ends (default <see cref="FramePadding.Reflect"/>).</summary>
    public FramePadding Padding { get; set; } = FramePadding.Reflect;

    /// <summary>The effective upper edge in Hz.</summary>
    public double EffectiveHighFrequency => HighFrequency ?? SampleRate / 2.0;

    /// <summary>Reads the options from a manifest's preprocessing section (<c>kind</c> <c>audio</c>).</summary>
    /// <param name="spec">The manifest's <c>preprocessing</c> object: <c>sampleRate</c>, <c>melBins</c>, <c>windowMs</c> and
    /// <c>hopMs</c> are required; <c>melScale</c> (<c>htk</c>|<c>slaney</c>), <c>melNorm</c> (<c>none</c>|<c>slaney</c>),
    /// <c>center</c> and <c>padMode</c> (<c>reflect</c>|<c>constant</c>) are optional; <c>parameters</c> may hold
    /// <c>fft_size</c> (default: the next power of two ≥ the window), <c>f_min</c>, <c>f_max</c> and <c>log_floor</c>.
    /// <c>features</c>, when present, must be <c>log-mel</c>.</param>
    /// <param name="manifestPath">Where the spec came from, for messages.</param>
    /// <exception cref="ModelFormatException">The section is missing, or a field is missing or out of range; the message names it.</exception>
    public static LogMelOptions FromSpec(PreprocessingSpec? spec, string? manifestPath = null)
    {
        var where = PreprocessingValidation.Where(manifestPath);
        if (spec is null)
        {
            throw new ModelFormatException($"preprocessing is missing in {where}; an audio model needs kind 'audio', sampleRate, melBins, windowMs and hopMs.", manifestPath);
        }

        if (!string.Equals(spec.Kind, "audio", StringComparison.Ordinal))
        {
            throw new ModelFormatException($"preprocessing.kind in {where} is '{spec.Kind}'; expected 'audio'.", manifestPath);
        }

        if (spec.Features is { } features && !string.Equals(features, AudioFeatures.LogMel, StringComparison.Ordinal))
        {
            throw new ModelFormatException(
                $"preprocessing.features in {where} is '{features}'; log-mel features need '{AudioFeatures.LogMel}' (or no features field){(features == AudioFeatures.Waveform ? "; a waveform model is fed with WaveformOptions" : "")}.",
                manifestPath);
        }

        var rate = spec.SampleRate ?? throw Missing("sampleRate", where, manifestPath);
        var window = ToSamples(spec.WindowMs ?? throw Missing("windowMs", where, manifestPath), rate);
        var options = new LogMelOptions
        {
            SampleRate = rate,
            MelBins = spec.MelBins ?? throw Missing("melBins", where, manifestPath),
            WindowLength = window,
            HopLength = ToSamples(spec.HopMs ?? throw Missing("hopMs", where, manifestPath), rate),
            FftSize = spec.Parameters.TryGetValue(FftSizeParameter, out var fft) ? (int)Math.Clamp(fft, 0, 1 << 20) : (int)Math.Min(1 << 20, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(window, 1))),
            LowFrequency = spec.Parameters.GetValueOrDefault(LowFrequencyParameter),
            HighFrequency = spec.Parameters.TryGetValue(HighFrequencyParameter, out var high) ? high : null,
            LogFloor = spec.Parameters.TryGetValue(LogFloorParameter, out var floor) ? (float)floor : 1e-10f,
            MelScale = Choose(spec.MelScale, "melScale", where, manifestPath, MelScale.Htk, ("htk", MelScale.Htk), ("slaney", MelScale.Slaney)),
            MelNormalization = Choose(spec.MelNorm, "melNorm", where, manifestPath, MelNormalization.None, ("none", MelNormalization.None), ("slaney", MelNormalization.Slaney)),
            Center = spec.Center ?? false,
            Padding = Choose(spec.PadMode, "padMode", where, manifestPath, FramePadding.Reflect, ("reflect", FramePadding.Reflect), ("constant", FramePadding.Constant)),
        };

        return PreprocessingValidation.Checked(options, options.Validate, manifestPath);
    }

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentException">A setting is out of range; the message names it and the expected value.</exception>
    public void Validate()
    {
        if (SampleRate is <= 0 or > 1_000_000)
        {
            throw new ArgumentException($"sample rate is {SampleRate} Hz; expected 1 to 1000000.", nameof(SampleRate));
        }

        if (FftSize is < 2 or > 1 << 20 || (FftSize & (FftSize - 1)) != 0)
        {
            throw new ArgumentException($"{FftSizeParameter} is {FftSize}; expected a power of two from 2 to 1048576.", nameof(FftSize));
        }

        if (WindowLength <= 0 || WindowLength > FftSize)
        {
            throw new ArgumentException($"window is {WindowLength} samples; expected 1 to {FftSizeParameter} ({FftSize}).", nameof(WindowLength));
        }

        if (HopLength <= 0)
        {
            throw new ArgumentException($"hop is {HopLength} samples; expected a positive number.", nameof(HopLength));
        }

        if (MelBins <= 0 || MelBins > FftSize / 2)
        {
            throw new ArgumentException($"melBins is {MelBins}; expected 1 to {FftSize / 2} (half the FFT size).", nameof(MelBins));
        }

        var nyquist = SampleRate / 2.0;
        if (!(LowFrequency >= 0 && EffectiveHighFrequency > LowFrequency && EffectiveHighFrequency <= nyquist))
        {
            throw new ArgumentException(
                $"{LowFrequencyParameter}..{HighFrequencyParameter} is {F(LowFrequency)}..{F(EffectiveHighFrequency)} Hz; expected 0 <= {LowFrequencyParameter} < {HighFrequencyParameter} <= {F(nyquist)} (Nyquist).",
                nameof(HighFrequency));
        }

        if (!Enum.IsDefined(MelScale) || !Enum.IsDefined(MelNormalization) || !Enum.IsDefined(Padding))
        {
            throw new ArgumentException($"mel scale {MelScale}, normalization {MelNormalization} or padding {Padding} is not a defined value.", nameof(MelScale));
        }

        if (!(float.IsFinite(LogFloor) && LogFloor > 0))
        {
            throw new ArgumentException($"{LogFloorParameter} is {F(LogFloor)}; expected a finite positive number.", nameof(LogFloor));
        }
    }

    /// <summary>A copy with the same settings.</summary>
    internal LogMelOptions Copy() => (LogMelOptions)MemberwiseClone();

    private static T Choose<T>(string? value, string field, string where, string? path, T fallback, params (string Name, T Value)[] choices)
    {
        if (value is null)
        {
            return fallback;
        }

        foreach (var (name, choice) in choices)
        {
            if (string.Equals(value, name, StringComparison.Ordinal))
            {
                return choice;
            }
        }

        throw new ModelFormatException($"preprocessing.{field} in {where} is '{value}'; expected {string.Join(" or ", choices.Select(c => $"'{c.Name}'"))}.", path);
    }

    private static int ToSamples(double ms, int rate) => (int)Math.Clamp(Math.Round(ms * rate / 1000.0), int.MinValue, int.MaxValue);

    private static string F(double value) => value.ToString(CultureInfo.InvariantCulture);

    private static ModelFormatException Missing(string field, string where, string? path) =>
        new($"preprocessing.{field} is missing in {where}; audio preprocessing needs sampleRate, melBins, windowMs and hopMs.", path);
}

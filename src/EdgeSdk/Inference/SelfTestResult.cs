namespace EdgeAI.Inference;

/// <summary>The outcome of running one model variant on its bundled sample.</summary>
/// <param name="Model">Model name (or directory, when the manifest could not be read).</param>
/// <param name="Variant">Variant name; empty when the model could not be opened at all.</param>
/// <param name="Passed">Whether every expected output was within tolerance.</param>
/// <param name="MaxAbsDiff">
/// Largest absolute difference of one output (NaN when nothing ran): the failing output's, or, when all passed, that of the
/// output that came closest to its tolerance (largest difference / tolerance).
/// </param>
/// <param name="Tolerance">The tolerance of that same output (before any output was compared: the tightest one listed).</param>
/// <param name="LoadMs">Time to verify and load the variant, in milliseconds.</param>
/// <param name="RunMs">Time of one warm run, in milliseconds.</param>
/// <param name="Message">Why it failed, or a short summary when it passed.</param>
public sealed record SelfTestResult(
    string Model,
    string Variant,
    bool Passed,
    double MaxAbsDiff,
    double Tolerance,
    double LoadMs,
    double RunMs,
    string Message);

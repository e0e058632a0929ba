namespace EdgeAI.Quantization.Calibration;

/// <summary>A file of a calibration directory that could not be used, and why.</summary>
/// <param name="Path">The file.</param>
/// <param name="Reason">The reader's message: what is wrong and what was expected.</param>
public sealed record SkippedCalibrationFile(string Path, string Reason);

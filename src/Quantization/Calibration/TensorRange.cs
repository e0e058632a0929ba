namespace EdgeAI.Quantization.Calibration;

/// <summary>The calibrated range of one tensor.</summary>
/// <param name="Min">Lower bound of the range to represent.</param>
/// <param name="Max">Upper bound of the range to represent.</param>
public readonly record struct TensorRange(float Min, float Max);

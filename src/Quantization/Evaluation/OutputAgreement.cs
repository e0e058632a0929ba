namespace EdgeAI.Quantization.Evaluation;

/// <summary>How closely one candidate output follows the reference output, over all compared samples.</summary>
/// <param name="Name">The output's name.</param>
/// <param name="MaxAbsDiff">Largest absolute element difference.</param>
/// <param name="MinCosine">Lowest cosine similarity of one sample's output (flattened); 1 when both are all zero.</param>
/// <param name="MeanCosine">Mean of the per-sample cosine similarities.</param>
/// <param name="SqnrDb">Signal-to-quantization-noise ratio over all elements, 10·log10(Σref² / Σ(ref − cand)²), in dB; infinity when identical.</param>
/// <param name="Top1Agreement">
/// Fraction of rows (the last axis is the class axis) whose arg-max agrees, or <see langword="null"/> when the
/// output has fewer than two elements on its last axis.
/// </param>
public sealed record OutputAgreement(string Name, double MaxAbsDiff, double MinCosine, double MeanCosine, double SqnrDb, double? Top1Agreement);

namespace EdgeAI.Quantization.Pruning;

/// <summary>How much pruning one layer alone changes the model's outputs.</summary>
/// <param name="Layer">The layer's name.</param>
/// <param name="Ratio">The fraction of its channels removed for the measurement.</param>
/// <param name="MinCosine">Worst per-sample cosine of the budget outputs against fp32 (higher is less sensitive).</param>
/// <param name="Top1Agreement">Top-1 agreement with fp32 over the budget outputs, or <see langword="null"/> when none is classifier-shaped.</param>
public sealed record PruningSensitivity(string Layer, double Ratio, double MinCosine, double? Top1Agreement);

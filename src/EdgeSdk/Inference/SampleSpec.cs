namespace EdgeAI.Inference;

/// <summary>
/// A bundled sample input and the outputs each variant must produce on it, used by
/// <see cref="ModelSelfTest"/> (and <c>edgeai selftest</c>) to prove a model works on the device.
/// Files are raw little-endian tensors of the declared element type and shape.
/// </summary>
public sealed class SampleSpec
{
    /// <summary>Input name to file, relative to the model directory.</summary>
    public Dictionary<string, string> Inputs { get; set; } = [];

    /// <summary>Expected outputs, one entry per variant and output checked.</summary>
    public ExpectedOutput[] Expected { get; set; } = [];
}

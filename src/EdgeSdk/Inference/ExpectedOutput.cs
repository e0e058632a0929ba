namespace EdgeAI.Inference;

/// <summary>
/// What one variant must output on the bundled sample: a float32 reference file and the largest
/// absolute difference allowed against it.
/// </summary>
public sealed class ExpectedOutput
{
    /// <summary>Variant name this expectation applies to.</summary>
    public string Variant { get; set; } = "";

    /// <summary>Output tensor name.</summary>
    public string Output { get; set; } = "";

    /// <summary>Reference values (raw little-endian float32), relative to the model directory.</summary>
    public string File { get; set; } = "";

    /// <summary>Largest allowed absolute difference per element.</summary>
    public double Tolerance { get; set; } = 1e-5;
}

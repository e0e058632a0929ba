namespace EdgeAI.Inference;

/// <summary>
/// The manifest and the ONNX graph disagree about an input or output: a missing or extra name, a
/// different element type or a different shape. Agents rely on the manifest, so such a model is refused.
/// </summary>
public sealed class ModelContractException : EdgeModelException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">Which tensor differs, what the manifest says and what the model declares.</param>
    /// <param name="path">The model file.</param>
    /// <param name="tensorName">The input or output that differs.</param>
    public ModelContractException(string message, string? path, string tensorName)
        : base(message, path)
    {
        TensorName = tensorName;
    }

    /// <summary>The input or output the manifest and model disagree on.</summary>
    public string TensorName { get; }
}

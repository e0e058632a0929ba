namespace EdgeAI.Quantization.Onnx;

/// <summary>Limits and context for <see cref="OnnxModel.Load(string, OnnxLoadOptions?)"/> and its overloads.</summary>
public sealed class OnnxLoadOptions
{
    /// <summary>Default for <see cref="MaxModelBytes"/>: 1 GiB, well above an edge model, well below protobuf's 2 GiB limit.</summary>
    public const int DefaultMaxModelBytes = 1 << 30;

    /// <summary>Default for <see cref="RecursionLimit"/>: Google.Protobuf's own default.</summary>
    public const int DefaultRecursionLimit = 100;

    /// <summary>Largest model file (without external data) accepted, in bytes.</summary>
    public int MaxModelBytes { get; set; } = DefaultMaxModelBytes;

    /// <summary>
    /// Deepest message nesting the parser follows. Each subgraph level (If/Loop body) costs about four;
    /// a file nested deeper is refused instead of exhausting the stack.
    /// </summary>
    public int RecursionLimit { get; set; } = DefaultRecursionLimit;

    /// <summary>
    /// Directory that external tensor data is read from when the model comes from a stream or bytes.
    /// Loading from a file uses the file's directory and ignores this.
    /// </summary>
    public string? ExternalDataDirectory { get; set; }

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentException">A setting is out of range; the message names it.</exception>
    public void Validate()
    {
        if (MaxModelBytes <= 0)
        {
            throw new ArgumentException($"{nameof(OnnxLoadOptions)}.{nameof(MaxModelBytes)} is {MaxModelBytes}; expected a positive byte count.", nameof(MaxModelBytes));
        }

        if (RecursionLimit is < 8 or > 10_000)
        {
            throw new ArgumentException($"{nameof(OnnxLoadOptions)}.{nameof(RecursionLimit)} is {RecursionLimit}; expected 8 to 10000 (a model needs at least 8 levels).", nameof(RecursionLimit));
        }

        if (ExternalDataDirectory is not null && string.IsNullOrWhiteSpace(ExternalDataDirectory))
        {
            throw new ArgumentException($"{nameof(OnnxLoadOptions)}.{nameof(ExternalDataDirectory)} is blank; leave it null or name a directory.", nameof(ExternalDataDirectory));
        }
    }
}

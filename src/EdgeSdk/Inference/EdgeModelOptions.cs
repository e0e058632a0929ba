namespace EdgeAI.Inference;

/// <summary>How <see cref="EdgeModel.Load(string, EdgeModelOptions?)"/> picks and opens a variant.</summary>
public sealed class EdgeModelOptions
{
    /// <summary>Variant to load (e.g. <c>int8</c>); the manifest's default variant when <see langword="null"/>.</summary>
    public string? Variant { get; set; }

    /// <summary>
    /// Overrides the manifest's intra-op thread count when set (> 0). Useful when several models
    /// share a small board's cores.
    /// </summary>
    public int? IntraOpThreads { get; set; }

    /// <summary>Largest model file accepted, in bytes (default 512 MiB); guards against loading something that is not an edge model.</summary>
    public long MaxModelBytes { get; set; } = 512L << 20;

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentException">A setting is out of range; the message names it.</exception>
    public void Validate()
    {
        if (Variant is not null && string.IsNullOrWhiteSpace(Variant))
        {
            throw new ArgumentException($"{nameof(EdgeModelOptions)}.{nameof(Variant)} is blank; leave it null for the manifest's default or name a variant.", nameof(Variant));
        }

        if (IntraOpThreads is <= 0)
        {
            throw new ArgumentException($"{nameof(EdgeModelOptions)}.{nameof(IntraOpThreads)} is {IntraOpThreads}; expected a positive thread count or null.", nameof(IntraOpThreads));
        }

        if (MaxModelBytes <= 0)
        {
            throw new ArgumentException($"{nameof(EdgeModelOptions)}.{nameof(MaxModelBytes)} is {MaxModelBytes}; expected a positive byte count.", nameof(MaxModelBytes));
        }
    }
}

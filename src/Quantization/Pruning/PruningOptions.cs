namespace EdgeAI.Quantization.Pruning;

/// <summary>Settings of <see cref="ChannelPruner.Prune"/>.</summary>
public sealed class PruningOptions
{
    /// <summary>
    /// Fraction of output channels removed from every prunable layer not named in <see cref="LayerRatios"/>
    /// (default 0), in [0, 1). Rounded down per layer; at least <see cref="MinChannels"/> channels stay.
    /// </summary>
    public double Ratio { get; set; }

    /// <summary>
    /// Per-layer fractions, by the name of a Conv of the layer (see <see cref="PrunableLayer.Convs"/>); they replace
    /// <see cref="Ratio"/> for that layer. A layer named here that cannot be pruned is an error, not a skip.
    /// </summary>
    public IDictionary<string, double> LayerRatios { get; } = new Dictionary<string, double>(StringComparer.Ordinal);

    /// <summary>Node names left alone: a layer whose channels reach one of them keeps all its channels.</summary>
    public ISet<string> ExcludedNodes { get; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>How channels are ranked (default <see cref="ChannelCriterion.L1"/>).</summary>
    public ChannelCriterion Criterion { get; set; } = ChannelCriterion.L1;

    /// <summary>Fewest output channels a pruned layer keeps (default 1).</summary>
    public int MinChannels { get; set; } = 1;

    /// <summary>
    /// Kept channel counts are rounded up to a multiple of this (default 1: no rounding). CPU convolution kernels work
    /// on blocks of 4, 8 or 16 channels; a count that fills whole blocks avoids paying for a partial one.
    /// </summary>
    public int ChannelMultiple { get; set; } = 1;

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentException">A setting is out of range; the message names it and the expected range.</exception>
    public void Validate()
    {
        CheckRatio(Ratio, nameof(Ratio));
        ArgumentNullException.ThrowIfNull(LayerRatios, nameof(LayerRatios));
        foreach (var (layer, ratio) in LayerRatios)
        {
            CheckRatio(ratio, $"{nameof(LayerRatios)}['{layer}']");
        }

        if (MinChannels < 1)
        {
            throw new ArgumentException($"{nameof(PruningOptions)}.{nameof(MinChannels)} is {MinChannels}; expected at least 1.", nameof(MinChannels));
        }

        if (ChannelMultiple is < 1 or > 1024)
        {
            throw new ArgumentException($"{nameof(PruningOptions)}.{nameof(ChannelMultiple)} is {ChannelMultiple}; expected 1 to 1024.", nameof(ChannelMultiple));
        }

        if (!Enum.IsDefined(Criterion))
        {
            throw new ArgumentException($"{nameof(PruningOptions)}.{nameof(Criterion)} is {(int)Criterion}; expected L1 or L2.", nameof(Criterion));
        }
    }

    /// <summary>Channels a layer of <paramref name="channels"/> keeps at <paramref name="ratio"/>.</summary>
    internal int Kept(int channels, double ratio)
    {
        var kept = Math.Max(MinChannels, channels - (int)Math.Floor((ratio * channels) + 1e-9));
        kept = (kept + ChannelMultiple - 1) / ChannelMultiple * ChannelMultiple;
        return Math.Min(kept, channels);
    }

    internal static void CheckRatio(double ratio, string name)
    {
        if (!(ratio is >= 0 and < 1))
        {
            throw new ArgumentException($"{nameof(PruningOptions)}.{name} is {ratio}; expected a fraction of channels to remove in [0, 1), e.g. 0.3.", name);
        }
    }
}

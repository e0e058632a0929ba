namespace EdgeAI.ModelFactory;

/// <summary>
/// Ranges of the photometric jitter applied to each training image after its random flip/rotation. Every defect is
/// drawn at least 0.08 (about 20 of 255 levels) from its surroundings, so even the strongest settings here keep it visible.
/// </summary>
/// <param name="Gain">Per-channel gain drawn from 1 +- this (colour cast).</param>
/// <param name="ContrastMin">Lowest contrast factor about the image mean.</param>
/// <param name="ContrastMax">Highest contrast factor about the image mean.</param>
/// <param name="Brightness">Brightness offset drawn from +- this (0..1 scale).</param>
/// <param name="GammaMax">Gamma drawn log-uniformly from 1 / this .. this; 1 turns it off.</param>
/// <param name="ChannelShuffle">Probability of a random permutation of the RGB channels (surface colours never seen in training).</param>
/// <param name="Grayscale">Probability of replacing the colour by its grey level.</param>
internal sealed record Augmentation(double Gain, double ContrastMin, double ContrastMax, double Brightness, double GammaMax, double ChannelShuffle, double Grayscale)
{
    /// <summary>The recipe of models up to v2: gain 0.9-1.1, contrast 0.8-1.25, brightness +-0.06.</summary>
    public static Augmentation Mild { get; } = new(0.1, 0.8, 1.25, 0.06, 1, 0, 0);

    /// <summary>
    /// Wider colour and tone changes for the held-out-surface gap: gain 0.8-1.2, contrast 0.75-1.35, brightness +-0.08,
    /// gamma 0.75-1.35, channels shuffled half the time, grey one time in ten.
    /// </summary>
    public static Augmentation Strong { get; } = new(0.2, 0.75, 1.35, 0.08, 1.35, 0.5, 0.1);

    /// <summary>Returns the preset named <paramref name="name"/> (<c>mild</c> or <c>strong</c>).</summary>
    /// <exception cref="ArgumentException">The name is not a preset.</exception>
    public static Augmentation Parse(string name) => name switch
    {
        "mild" => Mild,
        "strong" => Strong,
        _ => throw new ArgumentException($"Unknown augmentation '{name}'; expected mild or strong.", nameof(name)),
    };
}

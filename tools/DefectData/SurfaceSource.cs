namespace EdgeAI.DefectData;

/// <summary>
/// One surface the generator draws parts on: a real texture or a fixed parameter set of a procedural
/// family. Whole sources are assigned to a <see cref="SurfaceSplit"/>.
/// </summary>
public abstract class SurfaceSource
{
    /// <summary>Creates a source.</summary>
    protected SurfaceSource(string family, string name)
    {
        Family = family;
        Name = name;
    }

    /// <summary>Family (e.g. <c>metal</c>, <c>gimp</c>), used to balance and split sources.</summary>
    public string Family { get; }

    /// <summary>Unique name, e.g. <c>gimp/Wood/pine</c> or <c>metal/3</c>.</summary>
    public string Name { get; }

    /// <summary>
    /// Renders a <paramref name="size"/> x <paramref name="size"/> view of the surface (random crop, scale,
    /// rotation and colour) into <paramref name="rgb"/>, interleaved RGB in [0, 1].
    /// </summary>
    public abstract void Render(SeededRandom rng, Span<float> rgb, int size);

    /// <inheritdoc />
    public override string ToString() => Name;
}

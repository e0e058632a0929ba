namespace EdgeAI.DefectData;

/// <summary>The classes of the defect model; the value is the class index in the model's outputs.</summary>
public enum DefectKind
{
    /// <summary>No defect.</summary>
    Ok = 0,

    /// <summary>Thin straight or slightly curved line, brighter or darker than the surface.</summary>
    Scratch = 1,

    /// <summary>Jagged, branching dark line.</summary>
    Crack = 2,

    /// <summary>Soft-edged blob of different tint (stain, oil, rust).</summary>
    Spot = 3,

    /// <summary>Small dark disc with a sharp edge and a lit rim.</summary>
    Hole = 4,

    /// <summary>Local dent: a shaded bump with locally blurred texture.</summary>
    Dent = 5,
}

/// <summary>Names of <see cref="DefectKind"/> values as the manifest's labels.</summary>
public static class DefectLabels
{
    /// <summary>Label strings, index-aligned with <see cref="DefectKind"/>.</summary>
    public static IReadOnlyList<string> All { get; } = ["ok", "scratch", "crack", "spot", "hole", "dent"];

    /// <summary>Number of classes.</summary>
    public const int Count = 6;
}

namespace EdgeAI.DefectData;

/// <summary>
/// Which part of the data set a sample belongs to. Whole surface sources are assigned to one split, so
/// the test split is drawn from surfaces the model never saw in training.
/// </summary>
public enum SurfaceSplit
{
    /// <summary>Training surfaces.</summary>
    Train = 0,

    /// <summary>Held-out surfaces used to choose the decision threshold.</summary>
    Validation = 1,

    /// <summary>Held-out surfaces used only to measure the model.</summary>
    Test = 2,
}

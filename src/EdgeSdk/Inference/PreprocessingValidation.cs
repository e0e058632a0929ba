namespace EdgeAI.Inference;

/// <summary>Shared steps of the <c>FromSpec</c> readers that turn a manifest's preprocessing section into options.</summary>
internal static class PreprocessingValidation
{
    /// <summary>How messages name where a spec came from: the manifest file, or "the preprocessing spec".</summary>
    public static string Where(string? manifestPath) => manifestPath is null ? "the preprocessing spec" : $"manifest '{manifestPath}'";

    /// <summary>Runs <paramref name="validate"/> on options read from a manifest; an <see cref="ArgumentException"/> becomes a <see cref="ModelFormatException"/> naming the manifest.</summary>
    /// <exception cref="ModelFormatException">A setting is out of range.</exception>
    public static T Checked<T>(T options, Action validate, string? manifestPath)
    {
        try
        {
            validate();
        }
        catch (ArgumentException ex)
        {
            throw new ModelFormatException($"preprocessing in {Where(manifestPath)}: {ex.Message}", manifestPath, ex);
        }

        return options;
    }
}

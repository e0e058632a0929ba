namespace EdgeAI.TestSupport;

/// <summary>Locations in the repository, found by walking up from the test binary to EdgeAI.sln.</summary>
public static class RepoPaths
{
    private static readonly Lazy<string> RootPath = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EdgeAI.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"EdgeAI.sln not found above {AppContext.BaseDirectory}.");
    });

    public static string Root => RootPath.Value;

    public static string Models => Path.Combine(Root, "models");
}

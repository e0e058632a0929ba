namespace EdgeAI.Agents;

internal static class Cli
{
    public static int Run(string[] args)
    {
        Console.WriteLine("edgeai " + string.Join(' ', args));
        return 0;
    }
}

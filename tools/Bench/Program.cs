using BenchmarkDotNet.Running;

namespace EdgeAI.Bench;

internal static class Program
{
    // dotnet run -c Release --project tools/Bench -- --filter '*Publish*'
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}

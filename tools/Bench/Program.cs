using BenchmarkDotNet.Running;
using EdgeAI.Bench.Vision;

namespace EdgeAI.Bench;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == FrameToPublishBench.Command)
        {
            return await FrameToPublishBench.RunAsync(args[1..]);
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}

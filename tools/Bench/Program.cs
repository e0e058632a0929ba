using BenchmarkDotNet.Running;
using EdgeAI.Bench.Messaging;

namespace EdgeAI.Bench;

internal static class Program
{
    /// <summary>
    /// <c>mqtt [--messages N] [--rounds R]</c>: the MQTT throughput/latency comparison (<see cref="MqttThroughputBench"/>);
    /// anything else goes to BenchmarkDotNet.
    /// </summary>
    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "mqtt")
        {
            return await MqttThroughputBench.RunAsync(args);
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}

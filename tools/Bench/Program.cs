using BenchmarkDotNet.Running;
using EdgeAI.Bench.Messaging;
using EdgeAI.Bench.Vision;

namespace EdgeAI.Bench;

internal static class Program
{
    /// <summary>
    /// <c>mqtt [--messages N] [--rounds R]</c>: the MQTT throughput/latency comparison (<see cref="MqttThroughputBench"/>);
    /// <c>frame-to-publish ...</c>: the inspection pipeline per model variant (<see cref="FrameToPublishBench"/>);
    /// <c>ffmpeg-source [--frames N] [--rounds R] [--size WxH]</c>: the ffmpeg source's MJPEG and raw outputs (<see cref="FfmpegSourceBench"/>);
    /// anything else goes to BenchmarkDotNet.
    /// </summary>
    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "mqtt")
        {
            return await MqttThroughputBench.RunAsync(args);
        }

        if (args.Length > 0 && args[0] == FfmpegSourceBench.Command)
        {
            return await FfmpegSourceBench.RunAsync(args[1..]);
        }

        if (args.Length > 0 && args[0] == FrameToPublishBench.Command)
        {
            return await FrameToPublishBench.RunAsync(args[1..]);
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using EdgeAI.Vision;

namespace EdgeAI.Bench.Vision;

/// <summary>
/// The ffmpeg camera source's two outputs side by side in one run, on ffmpeg's lavfi test pattern converted to YUYV 4:2:2
/// (what an uncompressed USB camera delivers): <c>mjpeg</c> (ffmpeg encodes each frame as JPEG, the source splits the
/// stream and decodes it) and <c>raw</c> (ffmpeg writes rgb24 frames, the source reads them into pooled frames). Measured per
/// frame: wall time and CPU time of this process plus ffmpeg's (from <c>getrusage(RUSAGE_CHILDREN)</c> once ffmpeg has been
/// reaped). The two take turns in rounds so a noisy neighbour slows them alike.
/// </summary>
internal static partial class FfmpegSourceBench
{
    public const string Command = "ffmpeg-source";

    public static async Task<int> RunAsync(string[] args)
    {
        var frames = 300;
        var rounds = 3;
        var size = "640x480";
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--frames": frames = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--rounds": rounds = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--size": size = args[++i]; break;
                default:
                    Console.Error.WriteLine($"{Command}: unknown argument '{args[i]}'; expected --frames N, --rounds R, --size WxH.");
                    return 2;
            }
        }

        var parts = size.Split('x');
        var (width, height) = (int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture));
        string[] input = ["-f", "lavfi", "-i", $"testsrc2=size={size}:rate=1000,format=yuyv422", "-frames:v", frames.ToString(CultureInfo.InvariantCulture)];
        var modes = new (string Name, FfmpegCameraOptions Options)[]
        {
            ("mjpeg (encode + decode)", new FfmpegCameraOptions { InputArguments = input }),
            ("raw rgb24", new FfmpegCameraOptions { InputArguments = input, RawWidth = width, RawHeight = height }),
        };
        var wall = new double[modes.Length];
        var cpu = new double[modes.Length];
        Console.WriteLine($"{Command}: {rounds} rounds of {frames} frames of lavfi testsrc2 {size} as yuyv422, per output; ffmpeg {FfmpegVersion()}.");
        for (var round = -1; round < rounds; round++)
        {
            for (var m = 0; m < modes.Length; m++)
            {
                var (w, c) = await MeasureAsync(modes[m].Options, frames);
                if (round >= 0)
                {
                    wall[m] += w;
                    cpu[m] += c;
                }
            }
        }

        Console.WriteLine();
        Console.WriteLine("| output | frames/s | wall ms per frame | CPU ms per frame (this process + ffmpeg) | CPU ratio to mjpeg |");
        Console.WriteLine("|---|---|---|---|---|");
        var total = (double)frames * rounds;
        for (var m = 0; m < modes.Length; m++)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {modes[m].Name} | {total / wall[m]:f0} | {wall[m] * 1000 / total:f3} | {cpu[m] * 1000 / total:f3} | {cpu[m] / cpu[0]:f2}x |"));
        }

        return 0;
    }

    private static async Task<(double WallSeconds, double CpuSeconds)> MeasureAsync(FfmpegCameraOptions options, int expected)
    {
        var selfBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var childrenBefore = ChildrenCpuSeconds();
        var clock = Stopwatch.StartNew();
        var count = 0;
        using (var source = new FfmpegCameraSource(options))
        {
            await foreach (var frame in source.ReadAllAsync())
            {
                count++;
                frame.Dispose();
            }

            if (count != expected || source.CorruptFrames != 0)
            {
                throw new InvalidOperationException($"{Command}: {count} of {expected} frames, {source.CorruptFrames} corrupt; ffmpeg: {source.LastError}");
            }
        }

        clock.Stop();
        var self = (Process.GetCurrentProcess().TotalProcessorTime - selfBefore).TotalSeconds;
        return (clock.Elapsed.TotalSeconds, self + ChildrenCpuSeconds() - childrenBefore);
    }

    private static string FfmpegVersion()
    {
        using var p = Process.Start(new ProcessStartInfo("ffmpeg", "-version") { RedirectStandardOutput = true, UseShellExecute = false })!;
        var first = p.StandardOutput.ReadLine() ?? "";
        p.WaitForExit();
        return first.Split(' ').ElementAtOrDefault(2) ?? "?";
    }

    // User + system time of the reaped children (Linux struct rusage: two timevals first).
    private static double ChildrenCpuSeconds()
    {
        var usage = new long[18];
        if (GetRusage(-1, usage) != 0)
        {
            throw new InvalidOperationException($"getrusage failed: errno {Marshal.GetLastPInvokeError()}");
        }

        return usage[0] + usage[1] / 1e6 + usage[2] + usage[3] / 1e6;
    }

    [LibraryImport("libc", EntryPoint = "getrusage", SetLastError = true)]
    private static partial int GetRusage(int who, [Out] long[] usage);
}

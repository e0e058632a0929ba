using System.Diagnostics;
using EdgeAI.TestSupport;

namespace EdgeAI.Agents.Tests;

/// <summary>Runs the built device program as a separate process, the way an operator or script would.</summary>
internal static class Edgeai
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    public static string Dll => Path.Combine(RepoPaths.Root, "src", "Agents", "bin", Configuration, "net10.0", "edgeai.dll");

    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    /// <summary>Starts the program with output discarded; the caller ends it (<see cref="Terminate"/> or Kill).</summary>
    public static Process Start(params string[] args)
    {
        var psi = StartInfo(args);
        psi.RedirectStandardOutput = false;
        psi.RedirectStandardError = false;
        return Process.Start(psi)!;
    }

    /// <summary>Sends SIGTERM (a graceful stop, as systemd does) and waits for the exit code.</summary>
    public static async Task<int> Terminate(Process process, TimeSpan timeout)
    {
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var cts = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cts.Token);
        return process.ExitCode;
    }

    public static async Task<Result> RunAsync(TimeSpan timeout, params string[] args)
    {
        using var process = Process.Start(StartInfo(args))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"edgeai {string.Join(' ', args)} did not finish within {timeout}. stderr: {await stderr}");
        }

        return new Result(process.ExitCode, await stdout, await stderr);
    }

    private static ProcessStartInfo StartInfo(string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Dll);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        return psi;
    }
}

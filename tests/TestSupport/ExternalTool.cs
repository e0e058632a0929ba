using System.Diagnostics;
using Xunit;

namespace EdgeAI.TestSupport;

/// <summary>
/// Runs an independent reference program (python3 with numpy, espeak-ng, sox) from a test and fails with a
/// message naming the Debian package to install when it is missing or fails.
/// </summary>
public static class ExternalTool
{
    /// <summary>Debian's interpreter, where python3-numpy installs (a pyenv python3 first on PATH may lack it).</summary>
    public static string Python => File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

    /// <summary>Runs <paramref name="file"/> with <paramref name="args"/>, asserts exit code 0 and returns standard output.</summary>
    /// <param name="file">The program.</param>
    /// <param name="args">Its arguments.</param>
    /// <param name="package">The Debian package(s) that provide it, for the failure message.</param>
    /// <param name="timeoutMs">How long to wait.</param>
    public static string Run(string file, IEnumerable<string> args, string package, int timeoutMs = 120_000)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {file}.");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException($"{file} is not installed; the test needs the Debian package {package}.", ex);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeoutMs))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"{file} did not finish in {timeoutMs} ms.");
            }

            Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)} failed with exit code {process.ExitCode} (needs the Debian package {package}): {stderr.Result}");
            return stdout.Result;
        }
    }

    /// <summary>Runs a python3 script shipped next to the test assembly (needs python3-numpy).</summary>
    /// <param name="script">Path relative to the test output directory, e.g. <c>Audio/reference.py</c>.</param>
    /// <param name="args">The script's arguments.</param>
    public static string RunPython(string script, params string[] args) =>
        Run(Python, [Path.Combine(AppContext.BaseDirectory, script), .. args], "python3-numpy");

    /// <summary>Synthesizes speech into a WAV file with espeak-ng (22050 Hz mono 16-bit).</summary>
    /// <param name="text">What to say.</param>
    /// <param name="path">The WAV file to write.</param>
    /// <param name="voice">An espeak-ng voice, e.g. <c>en</c> or <c>en+f3</c>.</param>
    public static void Speak(string text, string path, string voice = "en") =>
        Run("espeak-ng", ["-v", voice, "-w", path, text], "espeak-ng");
}

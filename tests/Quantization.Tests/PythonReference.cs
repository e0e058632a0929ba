using System.Diagnostics;

namespace EdgeAI.Quantization.Tests;

/// <summary>Runs Debian's python3 with the reference onnx package (python3-onnx, python3-numpy; CI installs them) as an independent check.</summary>
internal static class PythonReference
{
    /// <summary>A python3 that imports onnx (Debian's first: a pyenv python3 on PATH may lack it).</summary>
    public static string FindPythonWithOnnx()
    {
        foreach (var candidate in new[] { "/usr/bin/python3", "python3" })
        {
            try
            {
                if (Run(candidate, ["-c", "import onnx"]).Exit == 0)
                {
                    return candidate;
                }
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // Not installed under this name; try the next.
            }
        }

        throw new InvalidOperationException("No python3 with the onnx module found; install the Debian package python3-onnx (CI does).");
    }

    /// <summary>Runs <paramref name="file"/> with <paramref name="args"/>; standard output then standard error.</summary>
    /// <exception cref="TimeoutException">It ran longer than 60 s (it is killed).</exception>
    public static (int Exit, string Output) Run(string file, string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(60_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} did not finish within 60 s.");
        }

        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}

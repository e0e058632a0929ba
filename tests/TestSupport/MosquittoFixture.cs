using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace EdgeAI.TestSupport;

/// <summary>
/// A real mosquitto broker on 127.0.0.1 and a free port, configured from a temporary file, for tests.
/// <see cref="Stop"/> kills it (SIGKILL: the broker vanishes like a crashed or unplugged one) and
/// <see cref="Restart"/> brings it back on the same port. Killed on dispose.
/// </summary>
/// <remarks>
/// The binary is <c>$EDGEAI_MOSQUITTO</c>, else <c>/usr/sbin/mosquitto</c>, else <c>mosquitto</c> on the PATH
/// (Debian: <c>apt-get install mosquitto</c>). A missing binary fails the test with that advice; it is not skipped.
/// </remarks>
public sealed class MosquittoFixture : IDisposable
{
    private readonly TempDirectory _directory = new();
    private Process? _process;

    /// <param name="extraConfig">Lines appended to the listener's configuration (TLS settings, limits).</param>
    /// <param name="persistence">Whether the broker keeps its state in a file across a graceful stop.</param>
    /// <param name="plainListener">Also open a plain TCP listener on <see cref="PlainPort"/> (for a test subscriber next to a TLS listener).</param>
    public MosquittoFixture(string? extraConfig = null, bool persistence = false, bool plainListener = false)
    {
        Port = FreePort();
        PlainPort = plainListener ? FreePort() : Port;
        ConfigPath = _directory.File("mosquitto.conf");
        LogPath = _directory.File("mosquitto.log");
        var config = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"listener {Port} 127.0.0.1")
            .AppendLine("allow_anonymous true")
            .AppendLine(persistence ? "persistence true" : "persistence false")
            .AppendLine(CultureInfo.InvariantCulture, $"persistence_location {_directory.Path}/")
            .AppendLine(CultureInfo.InvariantCulture, $"log_dest file {LogPath}")
            .AppendLine("log_type error")
            .AppendLine("log_type warning")
            .AppendLine("log_type notice")
            // Tests push thousands of QoS 1 messages to one subscriber; the default queue of 1000 would drop some.
            .AppendLine("max_queued_messages 0")
            .AppendLine("max_inflight_messages 0")
            // Run as the invoking user even when that is root, so the temporary files stay readable.
            .AppendLine("user root");
        if (extraConfig is not null)
        {
            config.AppendLine(extraConfig);
        }

        if (plainListener)
        {
            config.AppendLine(CultureInfo.InvariantCulture, $"listener {PlainPort} 127.0.0.1");
        }

        File.WriteAllText(ConfigPath, config.ToString());
        Start();
    }

    public static string BrokerPath
    {
        get
        {
            var configured = Environment.GetEnvironmentVariable("EDGEAI_MOSQUITTO");
            if (!string.IsNullOrEmpty(configured))
            {
                return configured;
            }

            if (File.Exists("/usr/sbin/mosquitto"))
            {
                return "/usr/sbin/mosquitto";
            }

            foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
            {
                var candidate = Path.Combine(dir, "mosquitto");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }

            throw new InvalidOperationException("mosquitto was not found (EDGEAI_MOSQUITTO, /usr/sbin/mosquitto, PATH); install it with 'apt-get install mosquitto'.");
        }
    }

    public string Host => "127.0.0.1";

    public int Port { get; }

    /// <summary>The plain TCP listener: <see cref="Port"/> unless a separate one was asked for.</summary>
    public int PlainPort { get; }

    public string ConfigPath { get; }

    public string LogPath { get; }

    /// <summary>A directory for the test's own files (certificates, outboxes), deleted with the fixture.</summary>
    public TempDirectory Files => _directory;

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>The broker's log so far, for assertion messages.</summary>
    public string Log => File.Exists(LogPath) ? ReadShared(LogPath) : "";

    public void Start()
    {
        if (IsRunning)
        {
            return;
        }

        var info = new ProcessStartInfo(BrokerPath)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(ConfigPath);
        var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {BrokerPath}.");
        var stderr = new StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            lock (stderr)
            {
                stderr.AppendLine(e.Data);
            }
        };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        _process = process;

        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            if (process.HasExited)
            {
                string err;
                lock (stderr)
                {
                    err = stderr.ToString();
                }

                throw new InvalidOperationException($"mosquitto exited with code {process.ExitCode} on port {Port}: {err}{Log}");
            }

            if (Accepts(Port) && Accepts(PlainPort))
            {
                return;
            }

            Thread.Sleep(10);
        }

        Stop();
        throw new TimeoutException($"mosquitto did not accept connections on 127.0.0.1:{Port} within 10 s. Log: {Log}");
    }

    /// <summary>Kills the broker at once (SIGKILL): no goodbye to clients, no state saved.</summary>
    public void Stop()
    {
        var process = _process;
        if (process is null)
        {
            return;
        }

        if (!process.HasExited)
        {
            process.Kill();
            process.WaitForExit();
        }

        process.Dispose();
        _process = null;
    }

    /// <summary>Kills the broker and starts it again on the same port.</summary>
    public void Restart()
    {
        Stop();
        Start();
    }

    public void Dispose()
    {
        Stop();
        _directory.Dispose();
    }

    private static bool Accepts(int port)
    {
        try
        {
            using var client = new TcpClient(AddressFamily.InterNetwork);
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    private static string ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}

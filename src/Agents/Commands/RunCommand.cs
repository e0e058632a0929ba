using System.CommandLine;
using EdgeAI.Agents.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeAI.Agents.Commands;

/// <summary><c>edgeai run --config FILE</c>: runs the agents until stopped (SIGTERM / Ctrl+C).</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config") { Description = "JSON configuration file (see README: Configuration).", Required = true };
        var command = new Command("run", "Run the configured agents until stopped, publishing to the configured broker.") { config };
        command.SetAction((parse, ct) => ExecuteAsync(parse.GetValue(config)!, ct));
        return command;
    }

    public static async Task<int> ExecuteAsync(string configPath, CancellationToken cancellationToken)
    {
        if (!File.Exists(configPath))
        {
            Console.Error.WriteLine($"edgeai run: configuration file '{configPath}' does not exist (--config).");
            return ExitCodes.BadUsage;
        }

        IHost host;
        try
        {
            host = DeviceHost.Build(c => c.AddJsonFile(Path.GetFullPath(configPath), optional: false), LogLevel.Information);
        }
        catch (InvalidDataException ex)
        {
            Console.Error.WriteLine($"edgeai run: configuration file '{configPath}' is not valid JSON: {ex.InnerException?.Message ?? ex.Message}");
            return ExitCodes.BadUsage;
        }

        using (host)
        {
            try
            {
                await host.RunAsync(cancellationToken);
            }
            catch (OptionsValidationException ex)
            {
                Console.Error.WriteLine($"edgeai run: invalid configuration in '{configPath}': {ex.Message}");
                return ExitCodes.BadUsage;
            }
            // A value the binder cannot convert: "abc" for a number (FormatException), an unknown enum name (ArgumentException).
            catch (InvalidOperationException ex) when (ex.InnerException is FormatException or ArgumentException)
            {
                Console.Error.WriteLine($"edgeai run: invalid configuration in '{configPath}': {ex.Message}");
                return ExitCodes.BadUsage;
            }
            catch (ArgumentException ex)
            {
                // The publisher refuses TLS material it cannot use (a CA that is not PEM, a key that does not match).
                Console.Error.WriteLine($"edgeai run: invalid configuration in '{configPath}': {ex.Message}");
                return ExitCodes.BadUsage;
            }
        }

        return ExitCodes.Ok;
    }
}

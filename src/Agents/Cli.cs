using System.CommandLine;
using EdgeAI.Agents.Commands;

namespace EdgeAI.Agents;

/// <summary>The <c>edgeai</c> command line: builds the command tree and maps outcomes to exit codes.</summary>
internal static class Cli
{
    public static int Run(string[] args)
    {
        var root = new RootCommand("EdgeAI device program: runs the inspection, maintenance, kiosk and fleet agents on this device and publishes their results over MQTT.");
        root.Subcommands.Add(SelfTestCommand.Create());
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(InspectCommand.Create());
        root.Subcommands.Add(CalibrateThresholdCommand.Create());

        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                Console.Error.WriteLine($"edgeai: {error.Message}");
            }

            Console.Error.WriteLine("Try 'edgeai --help'.");
            return ExitCodes.BadUsage;
        }

        return parse.Invoke();
    }

    /// <summary>The folder of bundled models: next to the program (publish output, bin/ for dotnet run).</summary>
    public static string DefaultModelsPath => Path.Combine(AppContext.BaseDirectory, "models");
}

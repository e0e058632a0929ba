using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using EdgeAI.Inference;

namespace EdgeAI.Agents.Commands;

/// <summary><c>edgeai selftest</c>: every variant of every bundled model on its sample input.</summary>
internal static class SelfTestCommand
{
    public static Command Create()
    {
        var models = new Option<string>("--models") { Description = "Folder of model directories (default: the models next to the program).", DefaultValueFactory = _ => Cli.DefaultModelsPath };
        var json = new Option<bool>("--json") { Description = "Print the results as JSON (for scripts)." };
        var command = new Command("selftest", "Load every model under the models folder, run each variant on its bundled sample input and compare with the manifest's expected outputs. Exit 1 on any failure.")
        {
            models,
            json,
        };
        command.SetAction(parse => Execute(parse.GetValue(models)!, parse.GetValue(json), Console.Out));
        return command;
    }

    public static int Execute(string modelsPath, bool json, TextWriter output)
    {
        if (!Directory.Exists(modelsPath))
        {
            Console.Error.WriteLine($"edgeai selftest: models folder '{modelsPath}' does not exist (--models).");
            return ExitCodes.BadUsage;
        }

        var results = ModelSelfTest.RunAll(modelsPath).ToArray();
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(results, AgentsJsonContext.Output.SelfTestResultArray));
        }
        else
        {
            WriteTable(results, modelsPath, output);
        }

        if (results.Length == 0)
        {
            Console.Error.WriteLine($"edgeai selftest: no model directories (with a manifest.json) under '{modelsPath}'.");
            return ExitCodes.CheckFailed;
        }

        return results.All(r => r.Passed) ? ExitCodes.Ok : ExitCodes.CheckFailed;
    }

    private static void WriteTable(SelfTestResult[] results, string modelsPath, TextWriter output)
    {
        var c = CultureInfo.InvariantCulture;
        output.WriteLine($"Self-test of {results.Length} model variant(s) in {modelsPath}");
        output.WriteLine($"{"model",-24} {"variant",-12} {"result",-6} {"max|diff|",10} {"tolerance",10} {"load ms",8} {"run ms",8}");
        foreach (var r in results)
        {
            output.WriteLine(string.Format(c, "{0,-24} {1,-12} {2,-6} {3,10:g3} {4,10:g3} {5,8:f1} {6,8:f3}", r.Model, r.Variant, r.Passed ? "PASS" : "FAIL", r.MaxAbsDiff, r.Tolerance, r.LoadMs, r.RunMs));
            if (!r.Passed)
            {
                output.WriteLine("    " + r.Message);
            }
        }

        var failed = results.Count(r => !r.Passed);
        output.WriteLine(failed == 0 ? $"{results.Length} passed, 0 failed" : $"{results.Length - failed} passed, {failed} failed");
    }
}

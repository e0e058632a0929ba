using System.CommandLine;
using EdgeAI.Inference;
using EdgeAI.Quantization.Calibration;
using EdgeAI.Quantization.Onnx;

namespace EdgeAI.QuantCli;

/// <summary>The edgeai-quant command line: parsing, dispatch and the one-line error convention.</summary>
internal static class QuantCliApp
{
    /// <summary>Prints the JSON report instead of text (every command).</summary>
    public static readonly Option<bool> JsonOption = new("--json") { Description = "Write the report as JSON on standard output.", Recursive = true };

    /// <summary>Adds the stack trace to error messages.</summary>
    public static readonly Option<bool> VerboseOption = new("--verbose") { Description = "Print the full exception (with stack trace) on errors.", Recursive = true };

    /// <summary>Runs the command line and returns the process exit code (see <see cref="ExitCodes"/>).</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        var root = new RootCommand("EdgeAI model toolchain: inspect ONNX models, quantize them to int8, prune them, and compare the result with the original.");
        root.Options.Add(JsonOption);
        root.Options.Add(VerboseOption);
        root.Subcommands.Add(InspectCommand.Create());
        root.Subcommands.Add(QuantizeCommand.Create());
        root.Subcommands.Add(CompareCommand.Create());
        root.Subcommands.Add(PruneCommand.Create());

        var parse = root.Parse(args);
        var verbose = parse.GetValue(VerboseOption);
        if (parse.Errors.Count > 0)
        {
            error.WriteLine($"edgeai-quant: {OneLine(parse.Errors[0].Message)} (try --help)");
            return ExitCodes.BadInput;
        }

        try
        {
            return parse.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        }
        catch (Exception ex) when (Classify(ex) is { } code)
        {
            error.WriteLine($"edgeai-quant: {(code == ExitCodes.BadInput ? "" : "failed: ")}{OneLine(ex.Message)}");
            if (verbose)
            {
                error.WriteLine(ex.ToString());
            }

            return code;
        }
    }

    private static int? Classify(Exception ex) => ex switch
    {
        CliCheckFailedException => ExitCodes.Failed,
        CliUsageException or FileNotFoundException or DirectoryNotFoundException or OnnxFormatException or NpyFormatException or CalibrationDataException
            or EdgeModelException or ArgumentException or UnauthorizedAccessException => ExitCodes.BadInput,
        OperationCanceledException => null,
        _ => ExitCodes.Failed,
    };

    private static string OneLine(string message) => message.ReplaceLineEndings(" ");
}

using EdgeAI.QuantCli;

namespace EdgeAI.Quantization.Tests.Cli;

/// <summary>Runs edgeai-quant in-process with captured standard output and error.</summary>
internal static class CliRunner
{
    public static (int Exit, string Out, string Err) Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = QuantCliApp.Run(args, output, error);
        return (exit, output.ToString(), error.ToString());
    }
}

namespace EdgeAI.QuantCli;

/// <summary>A requested check failed (e.g. agreement below a floor): reported as one line, exit code 1.</summary>
internal sealed class CliCheckFailedException(string message) : Exception(message);

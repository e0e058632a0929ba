namespace EdgeAI.QuantCli;

/// <summary>Bad usage or unusable input: reported as one line, exit code 2.</summary>
internal sealed class CliUsageException(string message) : Exception(message);

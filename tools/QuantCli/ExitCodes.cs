namespace EdgeAI.QuantCli;

/// <summary>Process exit codes of edgeai-quant.</summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>A check the user asked for failed, or the work itself failed.</summary>
    public const int Failed = 1;

    /// <summary>Bad usage or unusable input (missing file, not an ONNX model, bad option value).</summary>
    public const int BadInput = 2;
}

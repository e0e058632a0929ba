namespace EdgeAI.Agents;

/// <summary>Process exit codes, documented in the README.</summary>
internal static class ExitCodes
{
    /// <summary>Everything worked.</summary>
    public const int Ok = 0;

    /// <summary>A check failed (a model failed its self-test, the demo published nothing).</summary>
    public const int CheckFailed = 1;

    /// <summary>Bad usage or bad input (unknown option, missing file, invalid configuration).</summary>
    public const int BadUsage = 2;
}

namespace EdgeAI.Agents.Hosting;

/// <summary>The fleet agent's settings (configuration section <c>Fleet</c>).</summary>
internal sealed class FleetOptions
{
    public const string Section = "Fleet";

    /// <summary>Seconds between heartbeats; 1 to 86400.</summary>
    public double HeartbeatSeconds { get; set; } = 30;
}

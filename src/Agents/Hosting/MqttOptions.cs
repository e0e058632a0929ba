namespace EdgeAI.Agents.Hosting;

/// <summary>The broker results go to (configuration section <c>Mqtt</c>).</summary>
internal sealed class MqttOptions
{
    public const string Section = "Mqtt";

    public string Host { get; set; } = "127.0.0.1";

    public int Port { get; set; } = 1883;

    /// <summary>First topic level of everything this device publishes.</summary>
    public string TopicPrefix { get; set; } = "edgeai";
}

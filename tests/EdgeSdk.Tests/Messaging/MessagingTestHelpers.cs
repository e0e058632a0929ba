using System.Diagnostics;
using System.Text;
using EdgeAI.Messaging;
using EdgeAI.TestSupport;

namespace EdgeAI.Sdk.Tests.Messaging;

internal static class MessagingTestHelpers
{
    public static MqttPublisherOptions Options(string host, int port, string outboxPath) => new()
    {
        Host = host,
        Port = port,
        Site = "plant-7",
        Device = "cam-03",
        ClientId = "pub-" + Guid.NewGuid().ToString("N")[..8],
        OutboxPath = outboxPath,
        BackoffMin = TimeSpan.FromMilliseconds(20),
        BackoffMax = TimeSpan.FromMilliseconds(200),
        OperationTimeout = TimeSpan.FromSeconds(5),
        KeepAlive = TimeSpan.FromSeconds(5),
    };

    public static async Task Eventually(Func<bool> condition, TimeSpan timeout, Func<string> what)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > timeout)
            {
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0.#} s waiting for {what()}");
            }

            await Task.Delay(10);
        }
    }

    /// <summary>The result envelopes a subscriber received (status messages and anything unparsable left out).</summary>
    public static List<MessageEnvelope> Envelopes(MqttTestSubscriber subscriber) =>
        subscriber.Messages
            .Where(m => !m.Topic.EndsWith("/status", StringComparison.Ordinal))
            .Select(m => MessageEnvelope.TryParse(m.Payload, out var e) ? e : null)
            .OfType<MessageEnvelope>()
            .ToList();

    public static string Text(byte[] payload) => Encoding.UTF8.GetString(payload);
}

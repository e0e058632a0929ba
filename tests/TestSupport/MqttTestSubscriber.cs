using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeAI.TestSupport;

/// <summary>A real MQTT subscriber (MQTTnet) that records everything it receives, for end-to-end assertions.</summary>
public sealed class MqttTestSubscriber : IAsyncDisposable
{
    private readonly IMqttClient _client = new MqttClientFactory().CreateMqttClient();
    private readonly string _host;
    private readonly int _port;
    private readonly string _filter;

    private MqttTestSubscriber(string host, int port, string filter)
    {
        _host = host;
        _port = port;
        _filter = filter;
        _client.ApplicationMessageReceivedAsync += e =>
        {
            Messages.Enqueue(new Received(e.ApplicationMessage.Topic, e.ApplicationMessage.Payload.ToArray(), e.ApplicationMessage.Retain));
            return Task.CompletedTask;
        };
    }

    public ConcurrentQueue<Received> Messages { get; } = new();

    public static async Task<MqttTestSubscriber> ConnectAsync(string host, int port, string filter)
    {
        var subscriber = new MqttTestSubscriber(host, port, filter);
        await subscriber.ReconnectAsync();
        return subscriber;
    }

    /// <summary>Connects (again, after a broker restart) and subscribes with QoS 1.</summary>
    public async Task ReconnectAsync()
    {
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer(_host, _port)
            .WithClientId("test-subscriber-" + Guid.NewGuid().ToString("N")[..8])
            .WithTimeout(TimeSpan.FromSeconds(5))
            .Build();
        await _client.ConnectAsync(options);
        await _client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter(_filter, MqttQualityOfServiceLevel.AtLeastOnce)
            .Build());
    }

    /// <summary>Waits until <paramref name="predicate"/> holds for the messages received, or fails after <paramref name="timeout"/>.</summary>
    public async Task WaitUntilAsync(Func<IReadOnlyCollection<Received>, bool> predicate, TimeSpan timeout, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!predicate(Messages))
        {
            if (watch.Elapsed > timeout)
            {
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0.#} s waiting for {what}; received {Messages.Count} message(s).");
            }

            await Task.Delay(10);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_client.IsConnected)
        {
            try
            {
                await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build());
            }
            catch (MQTTnet.Exceptions.MqttCommunicationException)
            {
                // Broker already gone.
            }
        }

        _client.Dispose();
    }

    public sealed record Received(string Topic, byte[] Payload, bool Retain);
}

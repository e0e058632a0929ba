using EdgeAI.Agents.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeAI.Agents.Publishing;

/// <summary>
/// Publishes results with QoS 1 to <c>{prefix}/{site}/{device}/{agent}/{kind}</c>, with a retained
/// "offline" last will on the device's status topic. Connects lazily and reconnects on the next publish.
/// </summary>
internal sealed partial class MqttResultSink : IResultSink, IAsyncDisposable
{
    private readonly IMqttClient _client;
    private readonly MqttOptions _mqtt;
    private readonly DeviceOptions _device;
    private readonly ILogger<MqttResultSink> _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);

    public MqttResultSink(IOptions<MqttOptions> mqtt, IOptions<DeviceOptions> device, ILogger<MqttResultSink> logger)
    {
        _mqtt = mqtt.Value;
        _device = device.Value;
        _logger = logger;
        _client = new MqttClientFactory().CreateMqttClient();
    }

    public string Topic(string agent, string kind) => $"{_mqtt.TopicPrefix}/{_device.Site}/{_device.Id}/{agent}/{kind}";

    public async ValueTask PublishAsync(string agent, string kind, ReadOnlyMemory<byte> payload, bool retain, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (!_client.IsConnected)
            {
                var options = new MqttClientOptionsBuilder()
                    .WithTcpServer(_mqtt.Host, _mqtt.Port)
                    .WithClientId($"edgeai-{_device.Site}-{_device.Id}")
                    .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500)
                    .WithWillTopic(Topic("fleet", "status"))
                    .WithWillPayload("{\"state\":\"offline\"}"u8.ToArray())
                    .WithWillRetain()
                    .WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                    .Build();
                await _client.ConnectAsync(options, cancellationToken);
                LogConnected(_mqtt.Host, _mqtt.Port);
            }

            var message = new MqttApplicationMessageBuilder()
                .WithTopic(Topic(agent, kind))
                .WithPayload(payload.ToArray())
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .WithRetainFlag(retain)
                .WithContentType("application/json")
                .Build();
            await _client.PublishAsync(message, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_client.IsConnected)
        {
            await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().WithReason(MqttClientDisconnectOptionsReason.NormalDisconnection).Build());
        }

        _client.Dispose();
        _gate.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Connected to MQTT broker {Host}:{Port}")]
    private partial void LogConnected(string host, int port);
}

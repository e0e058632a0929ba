using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using EdgeAI.Messaging;
using EdgeAI.TestSupport;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeAI.Bench.Messaging;

/// <summary>
/// Cost per result of the durable path against a real mosquitto on loopback:
/// a bare QoS 1 publish (wait for PUBACK), the same with the SQLite outbox around it (insert with fsync,
/// publish, delete with fsync), and the <see cref="MqttPublisher"/> pipeline, which batches both.
/// </summary>
[Config(typeof(Config))]
public class PublishBenchmarks
{
    private const int PipelineBatch = 1000;
    private MosquittoFixture? _broker;
    private IMqttClient? _client;
    private SqliteOutbox? _outbox;
    private MqttPublisher? _publisher;
    private JsonElement _result;
    private byte[] _payload = [];

    [GlobalSetup]
    public async Task Setup()
    {
        _broker = new MosquittoFixture();
        _client = new MqttClientFactory().CreateMqttClient();
        await _client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer(_broker.Host, _broker.Port).WithClientId("bench-bare").Build());
        _outbox = SqliteOutbox.Open(_broker.Files.File("bench-outbox.db"), "bench", 1_000_000);
        _result = JsonDocument.Parse("""{"label":"scratch","score":0.93,"box":[12,40,64,88]}""").RootElement;
        _payload = new MessageEnvelope
        {
            MessageId = Guid.CreateVersion7().ToString("D"),
            Device = "bench",
            Agent = "inspection",
            Kind = "defect",
            Seq = 1,
            Timestamp = DateTime.UtcNow,
            Payload = _result,
        }.ToUtf8Json();
        _publisher = new MqttPublisher(new MqttPublisherOptions
        {
            Host = _broker.Host,
            Port = _broker.Port,
            Site = "bench",
            Device = "bench",
            ClientId = "bench-pipeline",
            OutboxPath = _broker.Files.File("bench-pipeline.db"),
            ChannelCapacity = PipelineBatch * 2,
        });
        await _publisher.StartAsync();
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _publisher!.DisposeAsync();
        await _client!.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build());
        _client.Dispose();
        _outbox!.Dispose();
        _broker!.Dispose();
    }

    [Benchmark(Baseline = true, Description = "bare QoS1 publish (await PUBACK)")]
    public Task BareQos1() =>
        _client!.PublishAsync(new MqttApplicationMessageBuilder()
            .WithTopic("edgeai/bench/bench/inspection/defect")
            .WithPayload(_payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .Build());

    [Benchmark(Description = "outbox insert + QoS1 publish + delete, one at a time")]
    public async Task OutboxThenPublish()
    {
        var stored = _outbox!.Append("edgeai/bench/bench/inspection/defect", "inspection", "defect", DateTime.UtcNow, _result);
        await _client!.PublishAsync(new MqttApplicationMessageBuilder()
            .WithTopic(stored.Topic)
            .WithPayload(new System.Buffers.ReadOnlySequence<byte>(stored.Payload))
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .Build());
        _outbox.Remove([stored.Id]);
    }

    [Benchmark(OperationsPerInvoke = PipelineBatch, Description = "MqttPublisher pipeline (batched outbox), per result")]
    public async Task Pipeline()
    {
        for (var i = 0; i < PipelineBatch; i++)
        {
            _publisher!.TryPublish("inspection", "defect", _result);
        }

        await _publisher!.WaitUntilDeliveredAsync();
    }

    private sealed class Config : ManualConfig
    {
        public Config()
        {
            Add(DefaultConfig.Instance);
            AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance).WithIterationCount(8).WithWarmupCount(3));
        }
    }
}

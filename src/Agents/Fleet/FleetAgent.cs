using System.Reflection;
using EdgeAI.Agents.Hosting;
using EdgeAI.Inference;
using EdgeAI.Messaging;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeAI.Agents.Fleet;

/// <summary>
/// Tells the backend what the device runs and that it is alive: a model inventory with each variant's
/// on-device self-test at start, then heartbeats. (The retained online/offline status is the
/// publisher's birth message and last will.)
/// </summary>
internal sealed partial class FleetAgent : BackgroundService
{
    public const string Name = "fleet";

    private readonly MqttPublisher _publisher;
    private readonly DeviceOptions _device;
    private readonly FleetOptions _fleet;
    private readonly TimeProvider _time;
    private readonly ILogger<FleetAgent> _logger;
    private readonly long _started;

    public FleetAgent(MqttPublisher publisher, IOptions<DeviceOptions> device, IOptions<FleetOptions> fleet, TimeProvider time, ILogger<FleetAgent> logger)
    {
        _publisher = publisher;
        _device = device.Value;
        _fleet = fleet.Value;
        _time = time;
        _logger = logger;
        _started = time.GetTimestamp();
    }

    public static string Version { get; } =
        typeof(FleetAgent).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Self-tests load every model: keep that off the host's start-up path.
        await Task.Yield();
        var modelsPath = _device.ResolvedModelsPath;
        var results = Directory.Exists(modelsPath) ? ModelSelfTest.RunAll(modelsPath, stoppingToken).ToArray() : [];
        var passed = results.Count(r => r.Passed);
        LogInventory(results.Length, passed, modelsPath);
        Publish("inventory", new ModelInventory(_time.GetUtcNow(), Version, passed, results.Length - passed, results), AgentsJsonContext.Output.ModelInventory);

        long beat = 0;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(_fleet.HeartbeatSeconds), _time);
        do
        {
            var stats = _publisher.Statistics;
            Publish("heartbeat", new Heartbeat(beat++, _time.GetUtcNow(), _time.GetElapsedTime(_started).TotalSeconds, Environment.WorkingSet, stats.OutboxPending, stats.OutboxDropped), AgentsJsonContext.Output.Heartbeat);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private void Publish<T>(string kind, T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo)
    {
        // Never blocks: a full queue means the outbox is behind; the result is counted as rejected.
        if (!_publisher.TryPublish(Name, kind, value, typeInfo))
        {
            LogRejected(kind);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Self-tested {Count} model variant(s) in {Path}: {Passed} passed")]
    private partial void LogInventory(int count, int passed, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publisher queue full; {Kind} not queued")]
    private partial void LogRejected(string kind);
}

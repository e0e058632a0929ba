using System.Reflection;
using System.Text.Json;
using EdgeAI.Agents.Hosting;
using EdgeAI.Agents.Publishing;
using EdgeAI.Inference;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeAI.Agents.Fleet;

/// <summary>
/// Tells the backend the device is alive and what it runs: a retained status ("online", then
/// "offline" on shutdown), a model inventory with each variant's on-device self-test, and heartbeats.
/// </summary>
internal sealed partial class FleetAgent : BackgroundService
{
    public const string Name = "fleet";

    private readonly IResultSink _sink;
    private readonly DeviceOptions _device;
    private readonly FleetOptions _fleet;
    private readonly TimeProvider _time;
    private readonly ILogger<FleetAgent> _logger;
    private readonly long _started;

    public FleetAgent(IResultSink sink, IOptions<DeviceOptions> device, IOptions<FleetOptions> fleet, TimeProvider time, ILogger<FleetAgent> logger)
    {
        _sink = sink;
        _device = device.Value;
        _fleet = fleet.Value;
        _time = time;
        _logger = logger;
        _started = time.GetTimestamp();
    }

    public static string Version { get; } =
        typeof(FleetAgent).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await PublishStatusAsync("offline", cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogPublishFailed(ex, "status");
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await PublishStatusAsync("online", stoppingToken);

        var modelsPath = Path.IsPathRooted(_device.ModelsPath) ? _device.ModelsPath : Path.Combine(AppContext.BaseDirectory, _device.ModelsPath);
        var results = Directory.Exists(modelsPath) ? ModelSelfTest.RunAll(modelsPath).ToArray() : [];
        var passed = results.Count(r => r.Passed);
        LogInventory(results.Length, passed, modelsPath);
        var inventory = new ModelInventory(_time.GetUtcNow(), passed, results.Length - passed, results);
        await _sink.PublishAsync(Name, "inventory", JsonSerializer.SerializeToUtf8Bytes(inventory, AgentsJsonContext.Output.ModelInventory), retain: true, stoppingToken);

        long seq = 0;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(_fleet.HeartbeatSeconds), _time);
        do
        {
            var beat = new Heartbeat(seq++, _time.GetUtcNow(), _time.GetElapsedTime(_started).TotalSeconds, Environment.WorkingSet);
            try
            {
                await _sink.PublishAsync(Name, "heartbeat", JsonSerializer.SerializeToUtf8Bytes(beat, AgentsJsonContext.Output.Heartbeat), retain: false, stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A broker outage must not stop the agent; the next beat tries again.
                LogPublishFailed(ex, "heartbeat");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private ValueTask PublishStatusAsync(string state, CancellationToken cancellationToken)
    {
        var status = new DeviceStatus(state, _device.Id, _device.Site, Version, _time.GetUtcNow());
        return _sink.PublishAsync(Name, "status", JsonSerializer.SerializeToUtf8Bytes(status, AgentsJsonContext.Output.DeviceStatus), retain: true, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Self-tested {Count} model variant(s) in {Path}: {Passed} passed")]
    private partial void LogInventory(int count, int passed, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing {Kind} failed; will retry")]
    private partial void LogPublishFailed(Exception ex, string kind);
}

using EdgeAI.Agents.Hosting;
using EdgeAI.Inference;
using EdgeAI.Messaging;
using EdgeAI.Vision;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeAI.Agents.Inspection;

/// <summary>
/// Reads frames from the line camera, runs the defect model and publishes one result per frame
/// (<c>…/inspection/result</c>). The camera drops the oldest frames when inference falls behind (it
/// counts them), so nothing queues without bound; images never leave the device.
/// </summary>
internal sealed partial class InspectionAgent : BackgroundService
{
    public const string Name = "inspection";

    private readonly MqttPublisher _publisher;
    private readonly DeviceOptions _device;
    private readonly InspectionOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<InspectionAgent> _logger;

    public InspectionAgent(MqttPublisher publisher, IOptions<DeviceOptions> device, IOptions<InspectionOptions> options, TimeProvider time, ILogger<InspectionAgent> logger)
    {
        _publisher = publisher;
        _device = device.Value;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        if (!_options.Enabled)
        {
            return;
        }

        var modelDirectory = Path.Combine(_device.ResolvedModelsPath, _options.Model);
        var source = Path.Combine(modelDirectory, _options.SimulatedSource);
        string[] pictures = Directory.Exists(source)
            ? [.. Directory.GetFiles(source).Where(f => f.EndsWith(".png", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase)).Order(StringComparer.Ordinal)]
            : [];
        if (pictures.Length == 0)
        {
            LogNoSource(source);
            return;
        }

        EdgeModel model;
        try
        {
            model = EdgeModel.Load(modelDirectory, new EdgeModelOptions { Variant = string.IsNullOrEmpty(_options.Variant) ? null : _options.Variant });
        }
        catch (Exception ex) when (ex is EdgeModelException or IOException)
        {
            // A broken model takes this agent out, never the device: the fleet inventory reports it too.
            LogModelFailed(ex, modelDirectory);
            return;
        }

        using (model)
        using (var inspector = new DefectInspector(model))
        using (var camera = new SimulatedCamera(pictures, new SimulatedCameraOptions { FramesPerSecond = _options.FramesPerSecond }, _time, logger: _logger))
        {
            var heatmap = new float[inspector.HeatmapSize.Width * inspector.HeatmapSize.Height];
            LogStarted(model.Manifest.Name, model.Variant.Name, pictures.Length, _options.FramesPerSecond);
            try
            {
                await foreach (var frame in camera.ReadAllAsync(stoppingToken))
                {
                    using (frame)
                    {
                        var result = inspector.Inspect(frame, heatmap) with { Source = Path.GetFileName(frame.SourceId) };
                        if (!_publisher.TryPublish(Name, "result", new InspectionMessage(result, frame.SequenceNumber, camera.DroppedFrames), AgentsJsonContext.Output.InspectionMessage))
                        {
                            LogRejected();
                        }
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                // Stopping.
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Inspecting with {Model}/{Variant}: simulated camera over {Count} picture(s) at {Fps} frames/s")]
    private partial void LogStarted(string model, string variant, int count, double fps);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No pictures in {Source}; the inspection agent is idle")]
    private partial void LogNoSource(string source);

    [LoggerMessage(Level = LogLevel.Error, Message = "Model in {Directory} could not be loaded; the inspection agent is idle")]
    private partial void LogModelFailed(Exception ex, string directory);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publisher queue full; an inspection result was not queued")]
    private partial void LogRejected();
}

/// <summary>Published on <c>…/inspection/result</c>: the verdict, the camera's frame number and its dropped-frame count.</summary>
internal sealed record InspectionMessage(DefectInspection Inspection, long Frame, long DroppedFrames);

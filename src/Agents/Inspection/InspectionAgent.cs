using EdgeAI.Agents.Hosting;
using EdgeAI.Inference;
using EdgeAI.Messaging;
using EdgeAI.Vision;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeAI.Agents.Inspection;

/// <summary>
/// Reads frames from the configured source (<c>Inspection:Source</c>), runs the defect model and publishes one
/// <c>…/inspection/result</c> per frame or one <c>…/inspection/defect</c> per defect region. A pump reads the
/// source into a small queue that drops its oldest frame when inference falls behind a live camera (counted and
/// reported in every message), so nothing queues without bound. Pictures are saved locally only when
/// <c>Inspection:SaveImages</c> asks for it and never leave the device.
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
        {
            DefectInspector? inspector = null;
            InspectionLoop loop;
            CameraSource camera;
            try
            {
                inspector = new DefectInspector(model, _options.RegionMinProbability, _options.MaxRegions, _options.DefectThreshold);
                var kind = _options.Source.Kind;
                var fileNameSources = InspectionSources.KeepsBacklog(kind) || kind == InspectionSourceKind.Simulated;
                loop = new InspectionLoop(inspector, _publisher, _options.Publish, fileNameSources, CreateStore(), _options.SaveImages.Mode, _time, _logger);
                camera = InspectionSources.Create(_options, _device, _time, _logger);
            }
            catch (Exception ex) when (ex is EdgeModelException or IOException or UnauthorizedAccessException or ArgumentException)
            {
                inspector?.Dispose();
                LogSetupFailed(ex, _options.Source.Kind);
                return;
            }

            using (loop)
            using (camera)
            using (var queue = new FrameQueue(_options.QueueCapacity, dropOldest: !InspectionSources.KeepsBacklog(_options.Source.Kind)))
            {
                LogStarted(model.Manifest.Name, model.Variant.Name, camera.Name, _options.Publish);
                await RunAsync(new Session(loop, camera, queue), stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private async Task RunAsync(Session session, CancellationToken stoppingToken)
    {
        try
        {
            await session.Loop.RunAsync(session.Camera, session.Queue, stoppingToken).ConfigureAwait(false);
            LogSourceEnded(session.Camera.Name, session.Camera.FramesDelivered);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The source failed for good (a refused stream without reconnect, ffmpeg missing): this agent stops,
            // the device and its other agents carry on.
            LogSourceFailed(ex, session.Camera.Name);
        }
    }

    private ImageStore? CreateStore()
    {
        var save = _options.SaveImages;
        if (save.Mode == ImageSaveMode.None)
        {
            return null;
        }

        var directory = Path.IsPathRooted(save.Directory!) ? save.Directory! : Path.Combine(_device.ResolvedDataPath, save.Directory!);
        return new ImageStore(directory, save.MaxFiles, save.MaxBytes);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Inspecting with {Model}/{Variant} from {Source}, one message per {Mode}")]
    private partial void LogStarted(string model, string variant, string source, InspectionPublishMode mode);

    [LoggerMessage(Level = LogLevel.Error, Message = "Model in {Directory} could not be loaded; the inspection agent is idle")]
    private partial void LogModelFailed(Exception ex, string directory);

    [LoggerMessage(Level = LogLevel.Error, Message = "The {Kind} source or the picture folder could not be set up; the inspection agent is idle")]
    private partial void LogSetupFailed(Exception ex, InspectionSourceKind kind);

    [LoggerMessage(Level = LogLevel.Information, Message = "Source {Source} ended after {Frames} frame(s); the inspection agent is idle")]
    private partial void LogSourceEnded(string source, long frames);

    [LoggerMessage(Level = LogLevel.Error, Message = "Source {Source} failed; the inspection agent is idle")]
    private partial void LogSourceFailed(Exception ex, string source);

    private sealed record Session(InspectionLoop Loop, CameraSource Camera, FrameQueue Queue);
}

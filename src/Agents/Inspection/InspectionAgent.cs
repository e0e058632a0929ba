using System.Diagnostics;
using System.Numerics;
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
    private long _saveFailures;

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
            DefectInspector inspector;
            CameraSource camera;
            ImageStore? store;
            try
            {
                inspector = new DefectInspector(model, _options.RegionMinProbability, _options.MaxRegions);
                store = CreateStore();
                camera = InspectionSources.Create(_options, _device, _time, _logger);
            }
            catch (Exception ex) when (ex is EdgeModelException or IOException or UnauthorizedAccessException or ArgumentException)
            {
                LogSetupFailed(ex, _options.Source.Kind);
                return;
            }

            using (inspector)
            using (camera)
            using (var queue = new FrameQueue(_options.QueueCapacity, dropOldest: !InspectionSources.KeepsBacklog(_options.Source.Kind)))
            {
                LogStarted(model.Manifest.Name, model.Variant.Name, camera.Name, _options.Publish);
                await RunAsync(new Session(inspector, camera, queue, store), stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private async Task RunAsync(Session session, CancellationToken stoppingToken)
    {
        var pump = Task.Run(() => session.Queue.PumpAsync(session.Camera, stoppingToken), CancellationToken.None);
        var heatmap = new float[session.Inspector.HeatmapSize.Width * session.Inspector.HeatmapSize.Height];
        try
        {
            await foreach (var frame in session.Queue.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                using (frame)
                {
                    Inspect(session, frame, heatmap);
                }
            }

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
        finally
        {
            await pump.ConfigureAwait(false);
        }
    }

    private void Inspect(Session session, Frame frame, Span<float> heatmap)
    {
        var wait = _time.GetUtcNow() - frame.Timestamp;
        var start = Stopwatch.GetTimestamp();
        var inspection = session.Inspector.Inspect(frame, heatmap);
        var stem = ImageStore.Stem(frame.Timestamp, frame.SequenceNumber);
        if (session.Store is { } store && (inspection.Defective || _options.SaveImages.Mode == ImageSaveMode.All))
        {
            Save(store, stem, frame, heatmap, session.Inspector.HeatmapSize, inspection);
        }

        var compute = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        var waitMs = Math.Max(0, wait.TotalMilliseconds);
        var latency = new InspectionLatency(
            Math.Round(waitMs, 3),
            inspection.PreprocessMs,
            inspection.InferenceMs,
            Math.Round(Math.Max(0, compute - inspection.LatencyMs), 3),
            Math.Round(waitMs + compute, 3));
        var model = session.Inspector.Model;
        var source = InspectionSources.KeepsBacklog(_options.Source.Kind) || _options.Source.Kind == InspectionSourceKind.Simulated
            ? Path.GetFileName(frame.SourceId)
            : frame.SourceId;
        var dropped = session.Camera.DroppedFrames + session.Queue.DroppedFrames;
        var corrupt = session.Camera.CorruptFrames;
        if (_options.Publish == InspectionPublishMode.Frame)
        {
            Publish("result", InspectionResult.From(frame, source, inspection, model, latency, dropped, corrupt), AgentsJsonContext.Output.InspectionResult);
            return;
        }

        for (var i = 0; i < inspection.Regions.Length; i++)
        {
            Publish("defect", DefectResult.From(frame, source, inspection, i, model, latency, dropped, corrupt), AgentsJsonContext.Output.DefectResult);
        }
    }

    private void Save(ImageStore store, string stem, Frame frame, ReadOnlySpan<float> heatmap, (int Width, int Height) size, DefectInspection inspection)
    {
        try
        {
            store.SaveOverlay(stem, frame, heatmap, size.Width, size.Height);
            if (!inspection.Defective)
            {
                return;
            }

            if (inspection.Regions.Length == 0)
            {
                store.SaveCrop(stem, 0, inspection.DefectType, frame, inspection.Box);
            }

            for (var i = 0; i < inspection.Regions.Length; i++)
            {
                store.SaveCrop(stem, i, inspection.Regions[i].Class, frame, inspection.Regions[i].Box);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A full or read-only disk must not stop inspection; say so at exponentially spaced counts.
            var failures = ++_saveFailures;
            if (BitOperations.IsPow2(failures))
            {
                LogSaveFailed(ex, failures);
            }
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

    private void Publish<T>(string kind, T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo)
    {
        if (!_publisher.TryPublish(Name, kind, value, typeInfo))
        {
            LogRejected(kind);
        }
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not save inspection pictures ({Failures} failure(s) so far)")]
    private partial void LogSaveFailed(Exception ex, long failures);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publisher queue full; an inspection {Kind} was not queued")]
    private partial void LogRejected(string kind);

    private sealed record Session(DefectInspector Inspector, CameraSource Camera, FrameQueue Queue, ImageStore? Store);
}

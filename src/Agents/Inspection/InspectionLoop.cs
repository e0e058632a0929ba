using System.Diagnostics;
using System.Numerics;
using EdgeAI.Messaging;
using EdgeAI.Vision;
using Microsoft.Extensions.Logging;

namespace EdgeAI.Agents.Inspection;

/// <summary>
/// The inspection agent's frame path: a pump reads the camera (which decodes) into a <see cref="FrameQueue"/> on its
/// own task while this loop takes each frame, inspects it, saves its pictures when configured, writes its result (or
/// one message per defect region) and hands it to the publisher, whose outbox writes and sends run on their own
/// tasks. So decoding, inference and publishing overlap.
/// </summary>
/// <remarks>
/// After warm-up <see cref="Process"/> allocates nothing unless pictures are saved: the verdict, the payload buffer and
/// the heatmap are reused, and the publisher copies the payload into a pooled buffer. Not thread-safe: one loop per
/// inspector, which it owns.
/// </remarks>
internal sealed partial class InspectionLoop : IDisposable
{
    private readonly DefectInspector _inspector;
    private readonly MqttPublisher _publisher;
    private readonly InspectionPublishMode _mode;
    private readonly bool _fileNameSources;
    private readonly ImageStore? _store;
    private readonly ImageSaveMode _saveMode;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly InspectionPayloadWriter _payloads;
    private readonly float[] _heatmap;
    private long _saveFailures;

    /// <param name="inspector">Runs the model; disposed with this loop.</param>
    /// <param name="publisher">Takes the payloads.</param>
    /// <param name="mode">One message per frame or per defect region.</param>
    /// <param name="fileNameSources">Publish the file name of <see cref="Frame.SourceId"/> (simulated and folder sources) rather than the whole id.</param>
    /// <param name="store">Where pictures go, or <see langword="null"/> for none.</param>
    /// <param name="saveMode">Which frames' pictures are saved when there is a store.</param>
    /// <param name="time">The agent's clock (a frame's wait is measured from its timestamp).</param>
    /// <param name="logger">For failures to save or to queue.</param>
    public InspectionLoop(DefectInspector inspector, MqttPublisher publisher, InspectionPublishMode mode, bool fileNameSources, ImageStore? store, ImageSaveMode saveMode, TimeProvider time, ILogger logger)
    {
        _inspector = inspector;
        _publisher = publisher;
        _mode = mode;
        _fileNameSources = fileNameSources;
        _store = store;
        _saveMode = saveMode;
        _time = time;
        _logger = logger;
        _payloads = new InspectionPayloadWriter(inspector.Model.Manifest.Name, inspector.Model.Manifest.Version);
        _heatmap = new float[inspector.HeatmapSize.Width * inspector.HeatmapSize.Height];
    }

    /// <summary>
    /// Pumps <paramref name="camera"/> into <paramref name="queue"/> on a separate task and processes the queued frames
    /// until the camera ends (or fails, which is thrown here) or <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    /// <returns>How many frames were processed.</returns>
    public async Task<long> RunAsync(CameraSource camera, FrameQueue queue, CancellationToken cancellationToken)
    {
        var pump = Task.Run(() => queue.PumpAsync(camera, cancellationToken), CancellationToken.None);
        long frames = 0;
        try
        {
            await foreach (var (frame, queueDrops) in queue.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                using (frame)
                {
                    Process(frame, camera.DroppedFrames + queueDrops, camera.CorruptFrames);
                    frames++;
                }
            }
        }
        finally
        {
            await pump.ConfigureAwait(false);
        }

        return frames;
    }

    /// <summary>Inspects <paramref name="frame"/> and publishes the outcome.</summary>
    /// <param name="frame">The frame; the caller keeps ownership.</param>
    /// <param name="droppedFrames">Frames lost so far (source and queue), reported in the message.</param>
    /// <param name="corruptFrames">Frames so far that did not decode, reported in the message.</param>
    /// <returns>The verdict, valid until the next frame.</returns>
    public InspectionVerdict Process(Frame frame, long droppedFrames, long corruptFrames)
    {
        var wait = _time.GetUtcNow() - frame.Timestamp;
        var start = Stopwatch.GetTimestamp();
        var verdict = _inspector.Inspect(frame, _heatmap);
        if (_store is { } store && (verdict.Defective || _saveMode == ImageSaveMode.All))
        {
            Save(store, frame, verdict);
        }

        var compute = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        var waitMs = Math.Max(0, wait.TotalMilliseconds);
        var latency = new InspectionLatency(
            Math.Round(waitMs, 3),
            verdict.PreprocessMs,
            verdict.InferenceMs,
            Math.Round(Math.Max(0, compute - verdict.LatencyMs), 3),
            Math.Round(waitMs + compute, 3));
        var source = _fileNameSources ? Path.GetFileName(frame.SourceId.AsSpan()) : frame.SourceId;
        if (_mode == InspectionPublishMode.Frame)
        {
            Publish("result", _payloads.WriteResult(frame, source, verdict, latency, droppedFrames, corruptFrames));
            return verdict;
        }

        for (var i = 0; i < verdict.Regions.Length; i++)
        {
            Publish("defect", _payloads.WriteDefect(frame, source, verdict, i, latency, droppedFrames, corruptFrames));
        }

        return verdict;
    }

    public void Dispose()
    {
        _payloads.Dispose();
        _inspector.Dispose();
    }

    private void Save(ImageStore store, Frame frame, InspectionVerdict verdict)
    {
        var stem = ImageStore.Stem(frame.Timestamp, frame.SequenceNumber);
        var (width, height) = _inspector.HeatmapSize;
        try
        {
            store.SaveOverlay(stem, frame, _heatmap, width, height);
            if (!verdict.Defective)
            {
                return;
            }

            if (verdict.Regions.Length == 0)
            {
                store.SaveCrop(stem, 0, verdict.Labels[verdict.DefectType], frame, verdict.Box);
            }

            for (var i = 0; i < verdict.Regions.Length; i++)
            {
                var region = verdict.Regions[i];
                store.SaveCrop(stem, i, verdict.Labels[region.Class], frame, region.Box);
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

    private void Publish(string kind, ReadOnlySpan<byte> payload)
    {
        if (!_publisher.TryPublishUtf8(InspectionAgent.Name, kind, payload))
        {
            LogRejected(kind);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not save inspection pictures ({Failures} failure(s) so far)")]
    private partial void LogSaveFailed(Exception ex, long failures);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publisher queue full; an inspection {Kind} was not queued")]
    private partial void LogRejected(string kind);
}

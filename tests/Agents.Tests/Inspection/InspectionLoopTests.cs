using EdgeAI.Agents.Inspection;
using EdgeAI.Inference;
using EdgeAI.Messaging;
using EdgeAI.TestSupport;
using EdgeAI.Vision;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeAI.Agents.Tests.Inspection;

public sealed class InspectionLoopTests
{
    private const int MeasuredFrames = 60;

    private static string DefectModel => Path.Combine(RepoPaths.Models, "defect-cnn");

    [Theory]
    [InlineData("fp32", false)]
    [InlineData("int8", false)]
    [InlineData("int8", true)]
    public async Task After_warm_up_a_frame_allocates_nothing_on_the_inspection_thread_and_every_result_is_delivered(string variant, bool perDefect)
    {
        var mode = perDefect ? InspectionPublishMode.Defect : InspectionPublishMode.Frame;
        using var broker = new MosquittoFixture();
        using var model = EdgeModel.Load(DefectModel, new EdgeModelOptions { Variant = variant });
        await using var publisher = new MqttPublisher(new MqttPublisherOptions
        {
            Host = broker.Host,
            Port = broker.Port,
            Site = "line-1",
            Device = "cam-1",
            OutboxPath = broker.Files.File("outbox.db"),
            ChannelCapacity = 1024,
        });
        using var loop = new InspectionLoop(new DefectInspector(model), publisher, mode, fileNameSources: true, store: null, ImageSaveMode.None, TimeProvider.System, NullLogger.Instance);
        var frames = InspectionSources.Pictures(Path.Combine(DefectModel, "demo"))
            .Select((p, i) => new ImageDecoder().Decode(File.ReadAllBytes(p), PixelFormat.Rgb24, p, i, DateTimeOffset.UtcNow))
            .ToArray();
        try
        {
            // Warm-up before the publisher starts, so every payload copy stays out: its payload pool then holds more
            // arrays than the measured frames can have out at once (at most MaxRegions = 8 messages per frame).
            long messages = 0;
            for (var i = 0; publisher.Statistics.Accepted < MeasuredFrames * 8; i++)
            {
                messages += Messages(loop.Process(frames[i % frames.Length], 0, 0), mode);
            }

            await publisher.StartAsync();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await publisher.WaitUntilDeliveredAsync(cts.Token);

            long measuredMessages = 0;
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < MeasuredFrames; i++)
            {
                measuredMessages += Messages(loop.Process(frames[i % frames.Length], droppedFrames: i, corruptFrames: 0), mode);
            }

            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            await publisher.WaitUntilDeliveredAsync(cts.Token);

            Assert.Equal(0, allocated);
            Assert.True(measuredMessages >= MeasuredFrames / 2, $"{measuredMessages} message(s) from {MeasuredFrames} frames");
            var stats = publisher.Statistics;
            Assert.Equal((messages + measuredMessages, 0L), (stats.Published, stats.Rejected));
        }
        finally
        {
            foreach (var frame in frames)
            {
                frame.Dispose();
            }
        }
    }

    private static int Messages(InspectionVerdict verdict, InspectionPublishMode mode) =>
        mode == InspectionPublishMode.Frame ? 1 : verdict.Regions.Length;
}

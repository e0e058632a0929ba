using EdgeAI.TestSupport;
using EdgeAI.Vision;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace EdgeAI.Sdk.Tests.Vision;

public sealed class CameraSourceLoggingTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Corrupt_frames_are_logged_with_their_id_at_exponentially_spaced_counts()
    {
        var files = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            files.Add(_dir.File($"bad{i}.png"));
            File.WriteAllText(files[^1], "not a png");
        }

        files.Add(_dir.File("good.png"));
        File.WriteAllBytes(files[^1], TestImages.Png(new byte[4 * 4 * 3], 4, 4, 3));

        var logger = new ListLogger();
        var clock = new FakeTimeProvider();
        using var camera = new SimulatedCamera(files, new SimulatedCameraOptions { FramesPerSecond = 1000, Loop = false }, clock, logger: logger);
        var read = camera.ReadFrameAsync().AsTask();
        while (!read.IsCompleted)
        {
            clock.Advance(TimeSpan.FromMilliseconds(1));
            await Task.Yield();
        }

        using var frame = await read;
        Assert.Equal(5L, frame!.SequenceNumber);
        Assert.Equal(5L, camera.CorruptFrames);

        // 1st, 2nd and 4th corrupt frame: enough to see the problem, without flooding the log at 30 fps.
        Assert.Equal(3, logger.Messages.Count);
        Assert.All(logger.Messages, m => Assert.Equal(LogLevel.Warning, m.Level));
        Assert.Contains("bad0.png", logger.Messages[0].Text, StringComparison.Ordinal);
        Assert.Contains("(2 so far)", logger.Messages[1].Text, StringComparison.Ordinal);
        Assert.Contains("bad3.png", logger.Messages[2].Text, StringComparison.Ordinal);
    }

    private sealed class ListLogger : ILogger
    {
        public List<(LogLevel Level, string Text)> Messages { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Messages.Add((logLevel, formatter(state, exception)));
    }
}

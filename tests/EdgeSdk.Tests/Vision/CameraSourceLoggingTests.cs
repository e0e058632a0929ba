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

    [Fact]
    public async Task An_unreachable_camera_is_logged_with_its_reason_at_exponentially_spaced_attempts_without_stacks()
    {
        // A port that was free a moment ago: every connection is refused.
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var logger = new ListLogger();
        using var source = new MjpegHttpCameraSource(new Uri($"http://127.0.0.1:{port}/"), new MjpegCameraOptions { ReconnectDelay = TimeSpan.FromMilliseconds(5) }, logger: logger);
        using var cts = new CancellationTokenSource();
        var read = source.ReadFrameAsync(cts.Token).AsTask();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (source.FailedConnects < 8 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read);

        var failures = source.FailedConnects;
        Assert.True(failures >= 8, $"only {failures} failed attempts in 30 s");
        // Logged at failures 1, 2, 4, 8, ...: floor(log2(n)) + 1 lines, not one per attempt.
        Assert.Equal(System.Numerics.BitOperations.Log2((uint)failures) + 1, logger.Messages.Count);
        Assert.All(logger.Messages, m =>
        {
            Assert.Equal(LogLevel.Warning, m.Level);
            Assert.Contains("cannot connect", m.Text, StringComparison.Ordinal);
            Assert.Contains("refused", m.Text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(" at ", m.Text, StringComparison.Ordinal);
        });
        Assert.Contains("(1 failed attempt(s) so far", logger.Messages[0].Text, StringComparison.Ordinal);
        Assert.Contains("(2 failed attempt(s) so far", logger.Messages[1].Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connecting_after_failures_is_logged_once_and_resets_the_count()
    {
        await using var server = new MjpegTestServer(async (connection, s, ct) =>
        {
            if (connection < 3)
            {
                await s.WriteAsync(MjpegTestServer.Ascii("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"), ct);
                return;
            }

            await s.WriteAsync(MjpegTestServer.Header(), ct);
            await s.WriteAsync(MjpegTestServer.Part(TestImages.Jpeg(new byte[8 * 8 * 3], 8, 8, 3)), ct);
        });

        var logger = new ListLogger();
        using var source = new MjpegHttpCameraSource(server.Uri, new MjpegCameraOptions { ReconnectDelay = TimeSpan.FromMilliseconds(5) }, logger: logger);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var frame = await source.ReadFrameAsync(cts.Token);

        Assert.NotNull(frame);
        Assert.Equal(0, source.FailedConnects);
        // Failures 1 and 2 logged (3 is not a power of two), then one information line on success.
        Assert.Equal(3, logger.Messages.Count);
        Assert.Contains("503", logger.Messages[0].Text, StringComparison.Ordinal);
        Assert.Equal(LogLevel.Information, logger.Messages[2].Level);
        Assert.Contains("connected after 3 failed attempt(s)", logger.Messages[2].Text, StringComparison.Ordinal);
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

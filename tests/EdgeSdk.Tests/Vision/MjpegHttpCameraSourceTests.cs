using EdgeAI.TestSupport;
using EdgeAI.Vision;

namespace EdgeAI.Sdk.Tests.Vision;

public sealed class MjpegHttpCameraSourceTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private static readonly byte[][] Jpegs = [Jpeg(30), Jpeg(120), Jpeg(210)];

    [Fact]
    public async Task Well_formed_stream_gives_every_frame_in_order()
    {
        await using var server = new MjpegTestServer(async (_, s, ct) =>
        {
            await s.WriteAsync(MjpegTestServer.Header(), ct);
            foreach (var jpeg in Jpegs)
            {
                await s.WriteAsync(MjpegTestServer.Part(jpeg), ct);
            }

            await s.WriteAsync(MjpegTestServer.Ascii("--frame--\r\n"), ct);
        });

        var (frames, source) = await ReadAllAsync(server.Uri);

        Assert.Equal([0L, 1L, 2L], frames.Select(f => f.SequenceNumber));
        Assert.Equal([30, 120, 210], frames.Select(f => Level(f)));
        Assert.Equal($"{server.Uri}#1", frames[1].SourceId);
        Assert.Equal((3L, 0L), (source.FramesDelivered, source.CorruptFrames));
    }

    [Fact]
    public async Task Missing_boundary_parameter_and_garbage_before_the_first_part_are_tolerated()
    {
        await using var server = new MjpegTestServer(async (_, s, ct) =>
        {
            await s.WriteAsync(MjpegTestServer.Header("multipart/x-mixed-replace"), ct);
            await s.WriteAsync(MjpegTestServer.Ascii("\r\n"), ct);
            await s.WriteAsync(MjpegTestServer.Part(Jpegs[0], boundary: "myboundary", contentLength: null), ct);
            await s.WriteAsync(MjpegTestServer.Part(Jpegs[1], boundary: "myboundary", contentLength: null), ct);
        });

        var (frames, source) = await ReadAllAsync(server.Uri);
        Assert.Equal([30, 120], frames.Select(f => Level(f)));
        Assert.Equal(0L, source.CorruptFrames);
    }

    [Fact]
    public async Task Boundary_declared_with_its_dashes_is_found()
    {
        await using var server = new MjpegTestServer(async (_, s, ct) =>
        {
            await s.WriteAsync(MjpegTestServer.Header("multipart/x-mixed-replace;boundary=--cam"), ct);
            await s.WriteAsync(MjpegTestServer.Part(Jpegs[2], boundary: "cam"), ct); // sent as "--cam"
            await s.WriteAsync(MjpegTestServer.Part(Jpegs[0], boundary: "--cam"), ct); // RFC form "----cam"
        });

        var (frames, _) = await ReadAllAsync(server.Uri);
        Assert.Equal([210, 30], frames.Select(f => Level(f)));
    }

    [Fact]
    public async Task Truncated_jpeg_part_is_counted_and_skipped()
    {
        await using var server = new MjpegTestServer(async (_, s, ct) =>
        {
            await s.WriteAsync(MjpegTestServer.Header(), ct);
            await s.WriteAsync(MjpegTestServer.Part(Jpegs[0]), ct);
            await s.WriteAsync(MjpegTestServer.Part(Jpegs[1], send: Jpegs[1].Length / 2), ct); // Content-Length lies
            await s.WriteAsync(MjpegTestServer.Part(Jpegs[2]), ct);
        });

        var (frames, source) = await ReadAllAsync(server.Uri);

        Assert.Equal([30, 210], frames.Select(f => Level(f)));
        Assert.Equal([0L, 2L], frames.Select(f => f.SequenceNumber)); // the gap marks the lost frame
        Assert.Equal(1L, source.CorruptFrames);
    }

    [Fact]
    public async Task Huge_content_length_is_refused_without_allocating_it()
    {
        await using var server = new MjpegTestServer(async (_, s, ct) =>
        {
            await s.WriteAsync(MjpegTestServer.Header(), ct);
            await s.WriteAsync(MjpegTestServer.Part(Jpegs[0], contentLength: 999_999_999_999), ct);
            await s.WriteAsync(MjpegTestServer.Part(Jpegs[1], contentLength: int.MaxValue), ct);
            await s.WriteAsync(MjpegTestServer.Part(Jpegs[2]), ct);
        });

        var before = GC.GetTotalAllocatedBytes(precise: true);
        var (frames, source) = await ReadAllAsync(server.Uri, new MjpegCameraOptions { MaxPartBytes = 1 << 20, ReconnectDelay = null });
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        Assert.Equal([210], frames.Select(f => Level(f)));
        Assert.Equal(2L, source.CorruptFrames);

        // The 1 MiB part buffer, pixels and parsing garbage: far from the 2 GB or 1 TB the headers asked for.
        // (Process-wide, so other tests running in parallel add to it; the bound is loose on purpose.)
        Assert.InRange(allocated, 0, 512L << 20);
    }

    [Fact]
    public async Task Part_without_a_boundary_beyond_the_limit_is_skipped_with_bounded_memory()
    {
        var noise = new byte[3 << 20];
        new Random(9).NextBytes(noise);
        await using var server = new MjpegTestServer(async (_, s, ct) =>
        {
            await s.WriteAsync(MjpegTestServer.Header(), ct);
            await s.WriteAsync(MjpegTestServer.Ascii("--frame\r\nContent-Type: image/jpeg\r\n\r\n"), ct);
            await s.WriteAsync(noise, ct);
            await s.WriteAsync(MjpegTestServer.Ascii("\r\n"), ct);
            await s.WriteAsync(MjpegTestServer.Part(Jpegs[1]), ct);
        });

        var (frames, source) = await ReadAllAsync(server.Uri, new MjpegCameraOptions { MaxPartBytes = 256 << 10, ReconnectDelay = null });

        Assert.Equal([120], frames.Select(f => Level(f)));
        Assert.Equal(1L, source.CorruptFrames);
    }

    [Fact]
    public async Task Endless_header_block_is_skipped()
    {
        await using var server = new MjpegTestServer(async (_, s, ct) =>
        {
            await s.WriteAsync(MjpegTestServer.Header(), ct);
            await s.WriteAsync(MjpegTestServer.Ascii("--frame\r\n"), ct);
            for (var i = 0; i < 2000; i++)
            {
                await s.WriteAsync(MjpegTestServer.Ascii($"X-Junk-{i}: {new string('a', 40)}\r\n"), ct);
            }

            await s.WriteAsync(MjpegTestServer.Ascii("\r\n"), ct);
            await s.WriteAsync(MjpegTestServer.Part(Jpegs[0]), ct);
        });

        var (frames, source) = await ReadAllAsync(server.Uri);
        Assert.Equal([30], frames.Select(f => Level(f)));
        Assert.Equal(1L, source.CorruptFrames);
    }

    [Fact]
    public async Task Connection_broken_mid_part_ends_the_stream_after_the_good_frames()
    {
        await using var server = new MjpegTestServer(async (_, s, ct) =>
        {
            await s.WriteAsync(MjpegTestServer.Header(), ct);
            await s.WriteAsync(MjpegTestServer.Part(Jpegs[0]), ct);
            var cut = MjpegTestServer.Part(Jpegs[1]);
            await s.WriteAsync(cut.AsMemory(0, cut.Length / 2), ct);
        });

        var (frames, source) = await ReadAllAsync(server.Uri);

        Assert.Equal([30], frames.Select(f => Level(f)));
        Assert.Equal(1L, source.CorruptFrames);
        Assert.Equal(1, source.Connections);
    }

    [Fact]
    public async Task Reconnects_after_the_stream_ends()
    {
        await using var server = new MjpegTestServer(async (connection, s, ct) =>
        {
            await s.WriteAsync(MjpegTestServer.Header(), ct);
            await s.WriteAsync(MjpegTestServer.Part(Jpegs[connection % 3]), ct);
        });

        using var source = new MjpegHttpCameraSource(server.Uri, new MjpegCameraOptions { ReconnectDelay = TimeSpan.FromMilliseconds(10) });
        using var cts = new CancellationTokenSource(Timeout);
        var levels = new List<int>();
        for (var i = 0; i < 3; i++)
        {
            using var frame = await source.ReadFrameAsync(cts.Token);
            levels.Add(Level(frame!));
        }

        Assert.Equal([30, 120, 210], levels);
        Assert.Equal(3, source.Connections);
    }

    [Fact]
    public async Task Reconnects_after_a_refused_request()
    {
        await using var server = new MjpegTestServer(async (connection, s, ct) =>
        {
            if (connection == 0)
            {
                await s.WriteAsync(MjpegTestServer.Ascii("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"), ct);
                return;
            }

            await s.WriteAsync(MjpegTestServer.Header(), ct);
            await s.WriteAsync(MjpegTestServer.Part(Jpegs[2]), ct);
        });

        using var source = new MjpegHttpCameraSource(server.Uri, new MjpegCameraOptions { ReconnectDelay = TimeSpan.FromMilliseconds(10) });
        using var cts = new CancellationTokenSource(Timeout);
        using var frame = await source.ReadFrameAsync(cts.Token);
        Assert.Equal(210, Level(frame!));
    }

    [Fact]
    public async Task Keeps_retrying_while_nothing_listens_and_stops_on_cancellation()
    {
        // A port that was free a moment ago: connections are refused.
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        using var source = new MjpegHttpCameraSource(new Uri($"http://127.0.0.1:{port}/"), new MjpegCameraOptions { ReconnectDelay = TimeSpan.FromMilliseconds(20) });
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await source.ReadFrameAsync(cts.Token));
        Assert.Equal(0, source.Connections);
    }

    [Theory]
    [InlineData("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", "404")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", "expected multipart/x-mixed-replace")]
    public async Task Without_reconnect_a_refused_stream_throws_with_the_reason(string response, string expected)
    {
        await using var server = new MjpegTestServer(async (_, s, ct) => await s.WriteAsync(MjpegTestServer.Ascii(response), ct));
        using var source = new MjpegHttpCameraSource(server.Uri, new MjpegCameraOptions { ReconnectDelay = null });

        var ex = await Assert.ThrowsAsync<HttpRequestException>(async () => await source.ReadFrameAsync());
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Contains(server.Uri.ToString(), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stalled_stream_is_given_up_after_the_read_timeout()
    {
        using var release = new SemaphoreSlim(0);
        await using var server = new MjpegTestServer(async (_, s, ct) =>
        {
            await s.WriteAsync(MjpegTestServer.Header(), ct);
            await s.WriteAsync(MjpegTestServer.Part(Jpegs[0]), ct);
            await s.FlushAsync(ct);
            await release.WaitAsync(ct); // the camera hangs with the connection open
        });

        using var source = new MjpegHttpCameraSource(server.Uri, new MjpegCameraOptions { ReconnectDelay = null, ReadTimeout = TimeSpan.FromMilliseconds(300) });
        using var cts = new CancellationTokenSource(Timeout);
        using (var first = await source.ReadFrameAsync(cts.Token))
        {
            Assert.Equal(30, Level(first!));
        }

        Assert.Null(await source.ReadFrameAsync(cts.Token));
        release.Release();
    }

    [Fact]
    public void Non_http_address_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new MjpegHttpCameraSource(new Uri("file:///dev/video0")));
    }

    private static async Task<(List<Frame> Frames, MjpegHttpCameraSource Source)> ReadAllAsync(Uri uri, MjpegCameraOptions? options = null)
    {
        var source = new MjpegHttpCameraSource(uri, options ?? new MjpegCameraOptions { ReconnectDelay = null });
        using var cts = new CancellationTokenSource(Timeout);
        var frames = new List<Frame>();
        await foreach (var frame in source.ReadAllAsync(cts.Token))
        {
            frames.Add(frame);
        }

        source.Dispose();
        return (frames, source);
    }

    private static int Level(Frame frame)
    {
        // Mean of a flat JPEG, rounded to the nearest 30 (the test levels are 30 apart and JPEG moves them by a few).
        var mean = 0.0;
        foreach (var b in frame.Pixels)
        {
            mean += b;
        }

        return (int)Math.Round(mean / frame.Pixels.Length / 30) * 30;
    }

    private static byte[] Jpeg(byte level) =>
        TestImages.Jpeg(Enumerable.Repeat(level, 32 * 24 * 3).ToArray(), 32, 24, 3, quality: 90);
}

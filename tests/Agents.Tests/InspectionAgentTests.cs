using System.Diagnostics;
using System.Text;
using System.Text.Json;
using EdgeAI.TestSupport;
using EdgeAI.Vision;
using StbImageWriteSharp;

namespace EdgeAI.Agents.Tests;

/// <summary>
/// The device program (<c>edgeai run</c>) inspecting from each kind of source, publishing to a real mosquitto
/// on loopback, observed by an independent subscriber.
/// </summary>
public sealed class InspectionAgentTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static readonly string Demo = Path.Combine(RepoPaths.Models, "defect-cnn", "demo");
    private readonly MosquittoFixture _broker = new();
    private readonly TempDirectory _dir = new();
    private MqttTestSubscriber? _subscriber;
    private Process? _device;

    private MqttTestSubscriber Subscriber => _subscriber!;

    public async Task InitializeAsync() =>
        _subscriber = await MqttTestSubscriber.ConnectAsync(_broker.Host, _broker.Port, "edgeai/#");

    public async Task DisposeAsync()
    {
        if (_device is { } device)
        {
            if (!device.HasExited)
            {
                await Edgeai.Terminate(device, Timeout);
            }

            device.Dispose();
        }

        await Subscriber.DisposeAsync();
        _broker.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task Folder_source_inspects_pictures_dropped_in_while_running_in_order_and_saves_none_by_default()
    {
        var camera = Directory.CreateDirectory(_dir.File("camera")).FullName;
        Start($$"""{ "Source": { "Kind": "folder", "Path": "{{camera}}", "IncludeExistingFiles": true, "PollInterval": "00:00:00.100" } }""");

        Drop(camera, "00-dent.png");
        await WaitForResultsAsync(1);
        Drop(camera, "05-scratch.png");
        Drop(camera, "07-hole.png");
        var results = await WaitForResultsAsync(3);

        Assert.Equal(["00-dent.png", "05-scratch.png", "07-hole.png"], results.Select(r => r.GetProperty("source").GetString()));
        Assert.Equal([0L, 1L, 2L], results.Select(r => r.GetProperty("frame").GetInt64()));
        Assert.All(results, r => Assert.Equal(0, r.GetProperty("droppedFrames").GetInt64()));
        Assert.All(results, r => Assert.Equal("fp32", r.GetProperty("variant").GetString()));
        Assert.All(results, r => Assert.True(r.GetProperty("latencyMs").GetProperty("total").GetDouble() >= r.GetProperty("latencyMs").GetProperty("inference").GetDouble()));

        // Privacy by default: no picture anywhere under the device's data folder.
        Assert.DoesNotContain(Directory.GetFiles(_dir.Path, "*.png", SearchOption.AllDirectories), f => !f.StartsWith(camera, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_agent_decides_with_the_loaded_variants_own_threshold()
    {
        // int8 gets its own threshold of 1, which no score (1 - p(ok) < 1) exceeds: nothing may be rejected, although the
        // top-level threshold rejects these defective parts.
        var models = ModelCopies.WithVariantThreshold(_dir.File("models"), "int8", 1.0);
        var camera = Directory.CreateDirectory(_dir.File("camera")).FullName;
        Start($$"""{ "Variant": "int8", "Source": { "Kind": "folder", "Path": "{{camera}}", "IncludeExistingFiles": true, "PollInterval": "00:00:00.100" } }""", models);

        Drop(camera, "00-dent.png");
        Drop(camera, "05-scratch.png");
        Drop(camera, "07-hole.png");
        var results = await WaitForResultsAsync(3);

        Assert.All(results, r => Assert.Equal("int8", r.GetProperty("variant").GetString()));
        Assert.All(results, r => Assert.Equal(1.0, r.GetProperty("threshold").GetDouble()));
        Assert.All(results, r => Assert.False(r.GetProperty("defective").GetBoolean()));
        Assert.Contains(results, r => r.GetProperty("defectScore").GetDouble() > ModelCopies.TopLevelThreshold());
    }

    [Fact]
    public async Task A_taught_defect_threshold_in_the_configuration_decides_instead_of_the_variants()
    {
        // The same copy (int8's own threshold 1 rejects nothing), with the line's taught threshold 0.5 configured: the parts
        // scoring above 0.5 are rejected, the rest pass, and every result reports 0.5.
        var models = ModelCopies.WithVariantThreshold(_dir.File("models"), "int8", 1.0);
        var camera = Directory.CreateDirectory(_dir.File("camera")).FullName;
        Start($$"""{ "Variant": "int8", "DefectThreshold": 0.5, "Source": { "Kind": "folder", "Path": "{{camera}}", "IncludeExistingFiles": true, "PollInterval": "00:00:00.100" } }""", models);

        Drop(camera, "00-dent.png");
        Drop(camera, "04-ok.png");
        Drop(camera, "07-hole.png");
        var results = await WaitForResultsAsync(3);

        Assert.All(results, r => Assert.Equal(0.5, r.GetProperty("threshold").GetDouble()));
        Assert.All(results, r => Assert.Equal(r.GetProperty("defectScore").GetDouble() > 0.5, r.GetProperty("defective").GetBoolean()));
        Assert.Contains(results, r => r.GetProperty("defective").GetBoolean());
        Assert.Contains(results, r => !r.GetProperty("defective").GetBoolean());
    }

    [Fact]
    public async Task Mjpeg_source_inspects_every_part_of_the_stream_and_reconnects_when_it_ends()
    {
        var jpegs = Directory.GetFiles(Demo, "*.png").Order(StringComparer.Ordinal).Select(ToJpeg).ToArray();
        await using var camera = new MjpegTestServer(async (_, s, ct) =>
        {
            await s.WriteAsync(MjpegTestServer.Header(), ct);
            foreach (var jpeg in jpegs)
            {
                await s.WriteAsync(MjpegTestServer.Part(jpeg), ct);
            }
        });
        Start($$"""{ "Source": { "Kind": "mjpeg", "Url": "{{camera.Uri}}", "ReconnectDelay": "00:00:00.200" } }""");

        var results = await WaitForResultsAsync(jpegs.Length + 2);

        Assert.All(results, r => Assert.StartsWith($"{camera.Uri}#", r.GetProperty("source").GetString(), StringComparison.Ordinal));
        var frames = results.Select(r => r.GetProperty("frame").GetInt64()).ToArray();
        Assert.Equal(frames.Order(), frames);
        AssertEveryFrameAccountedFor(results);
        Assert.All(results, r => Assert.Equal((64, 64), (r.GetProperty("width").GetInt32(), r.GetProperty("height").GetInt32())));
        Assert.True(camera.Connections >= 2, $"{camera.Connections} connection(s)");
    }

    [Fact]
    public async Task Ffmpeg_lavfi_source_is_inspected_and_every_frame_is_published_or_counted_as_dropped()
    {
        Start("""{ "Source": { "Kind": "ffmpeg", "InputFormat": "lavfi", "Input": "testsrc=size=96x64:rate=20", "InputOptions": ["-re"] } }""");

        var results = await WaitForResultsAsync(10);

        Assert.All(results, r => Assert.StartsWith("ffmpeg:", r.GetProperty("source").GetString(), StringComparison.Ordinal));
        Assert.All(results, r => Assert.Equal((96, 64), (r.GetProperty("width").GetInt32(), r.GetProperty("height").GetInt32())));
        Assert.All(results, r => AssertInside(r.GetProperty("box"), 96, 64));
        AssertEveryFrameAccountedFor(results);
    }

    [Fact]
    public async Task A_yuyv_v4l2_camera_is_read_as_raw_frames_and_inspected()
    {
        // No camera here: the device is /dev/null and "ffmpeg" a stand-in that checks it was asked for what a YUYV camera
        // needs, then runs the real ffmpeg on a YUYV test pattern with the output the source asked for.
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("The ffmpeg stand-in is a shell script (Linux).");
        }

        var script = _dir.File("ffmpeg-v4l2.sh");
        File.WriteAllText(script, """
            #!/bin/sh
            case "$*" in
              *"-f v4l2 -input_format yuyv422 -video_size 160x120 -framerate 10 -i /dev/null -f rawvideo -pix_fmt rgb24 -s 160x120 pipe:1") ;;
              *) echo "unexpected arguments: $*" >&2; exit 3 ;;
            esac
            exec ffmpeg -hide_banner -loglevel error -nostdin -re -f lavfi -i testsrc=size=160x120:rate=10,format=yuyv422 -f rawvideo -pix_fmt rgb24 -s 160x120 pipe:1
            """.ReplaceLineEndings("\n"));
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Start($$"""{ "Source": { "Kind": "v4l2", "Device": "/dev/null", "Capture": "yuyv", "Width": 160, "Height": 120, "FramesPerSecond": 10, "FfmpegPath": "{{script}}" } }""");

        var results = await WaitForResultsAsync(6);

        Assert.All(results, r => Assert.StartsWith("ffmpeg:-f v4l2 -input_format yuyv422", r.GetProperty("source").GetString(), StringComparison.Ordinal));
        Assert.All(results, r => Assert.Equal((160, 120), (r.GetProperty("width").GetInt32(), r.GetProperty("height").GetInt32())));
        Assert.All(results, r => AssertInside(r.GetProperty("box"), 160, 120));
        AssertEveryFrameAccountedFor(results);
    }

    [Fact]
    public async Task A_simulated_camera_faster_than_inference_reports_its_drops_in_the_results()
    {
        Start("""{ "Source": { "Kind": "simulated", "FramesPerSecond": 1000 }, "QueueCapacity": 1 }""");

        var results = await WaitForResultsAsync(30);

        AssertEveryFrameAccountedFor(results);
        var frames = results.Select(r => r.GetProperty("frame").GetInt64()).ToArray();
        Assert.Equal(frames.Order(), frames);
    }

    [Fact]
    public async Task Per_defect_mode_publishes_the_regions_the_inspect_command_finds_and_saves_overlays_and_crops_of_defective_frames_only()
    {
        var camera = Directory.CreateDirectory(_dir.File("camera")).FullName;
        foreach (var file in Directory.GetFiles(Demo))
        {
            File.Copy(file, Path.Combine(camera, Path.GetFileName(file)));
        }

        // The expected regions, from the one-shot command on the same pictures.
        var inspect = await Edgeai.RunAsync(Timeout, "inspect", camera, "--models", RepoPaths.Models, "--json");
        Assert.True(inspect.ExitCode == 0, inspect.Stderr);
        using var expectedDoc = JsonDocument.Parse(inspect.Stdout);
        var expected = expectedDoc.RootElement.EnumerateArray()
            .SelectMany((r, frame) => r.GetProperty("regions").EnumerateArray().Select(g => $"{frame}:{Path.GetFileName(r.GetProperty("source").GetString())}:{g.GetProperty("class").GetString()}:{Box(g.GetProperty("box"))}"))
            .ToArray();
        var okFrames = expectedDoc.RootElement.EnumerateArray().Select((r, frame) => (r, frame)).Where(p => !p.r.GetProperty("defective").GetBoolean()).Select(p => p.frame).ToArray();
        Assert.NotEmpty(expected);

        var pictures = _dir.File("pictures");
        Start($$"""
            { "Publish": "defect", "Source": { "Kind": "folder", "Path": "{{camera}}", "IncludeExistingFiles": true },
              "SaveImages": { "Mode": "defects", "Directory": "{{pictures}}" } }
            """);
        await Subscriber.WaitUntilAsync(m => Payloads(m, "/inspection/defect").Count >= expected.Length, Timeout, $"{expected.Length} defect messages");
        await Task.Delay(500); // nothing more may come
        var defects = Payloads(Subscriber.Messages, "/inspection/defect");

        Assert.Equal(expected, defects.Select(d => $"{d.GetProperty("frame").GetInt64()}:{d.GetProperty("source").GetString()}:{d.GetProperty("class").GetString()}:{Box(d.GetProperty("box"))}"));
        Assert.Empty(Payloads(Subscriber.Messages, "/inspection/result"));
        Assert.All(defects, d => Assert.True(d.GetProperty("defectScore").GetDouble() > d.GetProperty("threshold").GetDouble()));
        Assert.All(defects, d => Assert.True(d.GetProperty("region").GetInt32() < d.GetProperty("regions").GetInt32()));

        // Pictures: an overlay and one crop per region for each defective frame, nothing for the good ones.
        var saved = Directory.GetFiles(pictures).Select(Path.GetFileName).ToArray();
        foreach (var group in defects.GroupBy(d => d.GetProperty("frame").GetInt64()))
        {
            var stem = $"-f{group.Key:D8}-";
            Assert.Single(saved, f => f!.Contains(stem + "overlay.png", StringComparison.Ordinal));
            Assert.Equal(group.Count(), saved.Count(f => f!.Contains(stem + "crop", StringComparison.Ordinal)));
        }

        Assert.All(okFrames, frame => Assert.DoesNotContain(saved, f => f!.Contains($"-f{frame:D8}-", StringComparison.Ordinal)));

        // Images never travel over MQTT: every message is a small JSON document.
        Assert.All(Subscriber.Messages, m => Assert.True(m.Payload.Length < 4096, $"{m.Topic}: {m.Payload.Length} bytes"));
    }

    [Fact]
    public async Task Saving_every_frame_keeps_only_the_newest_pictures_within_the_file_bound()
    {
        var camera = Directory.CreateDirectory(_dir.File("camera")).FullName;
        foreach (var file in Directory.GetFiles(Demo))
        {
            File.Copy(file, Path.Combine(camera, Path.GetFileName(file)));
        }

        var pictures = _dir.File("pictures");
        Start($$"""
            { "Source": { "Kind": "folder", "Path": "{{camera}}", "IncludeExistingFiles": true },
              "SaveImages": { "Mode": "all", "Directory": "{{pictures}}", "MaxFiles": 3 } }
            """);
        var results = await WaitForResultsAsync(Directory.GetFiles(Demo).Length);
        await Terminate();

        // The files each frame writes, in order: its overlay, then one crop per region (or the box) when defective.
        var written = new List<string>();
        foreach (var r in results)
        {
            var stem = $"-f{r.GetProperty("frame").GetInt64():D8}-";
            written.Add(stem + "overlay.png");
            if (r.GetProperty("defective").GetBoolean())
            {
                var regions = r.GetProperty("regions").EnumerateArray().ToArray();
                written.AddRange(regions.Length == 0
                    ? [$"{stem}crop0-{r.GetProperty("defectType").GetString()}.png"]
                    : regions.Select((g, i) => $"{stem}crop{i}-{g.GetProperty("class").GetString()}.png"));
            }
        }

        var kept = Directory.GetFiles(pictures).Select(f => Path.GetFileName(f)![19..]).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(written.TakeLast(3).Order(StringComparer.Ordinal), kept);
    }

    [Fact]
    public async Task A_source_setting_that_cannot_work_stops_start_up_with_exit_code_2_naming_the_key()
    {
        var config = WriteConfig("""{ "Source": { "Kind": "mjpeg", "Url": "camera.local/stream" } }""");
        var r = await Edgeai.RunAsync(Timeout, "run", "--config", config);

        Assert.Equal(2, r.ExitCode);
        Assert.Contains("Inspection:Source:Url 'camera.local/stream' is not an absolute http or https URL", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_publish_mode_stops_start_up_with_exit_code_2_naming_the_key_and_the_value()
    {
        var r = await Edgeai.RunAsync(Timeout, "run", "--config", WriteConfig("""{ "Publish": "region" }"""));

        Assert.Equal(2, r.ExitCode);
        Assert.Contains("'region' at 'Inspection:Publish'", r.Stderr, StringComparison.Ordinal);
    }

    private static void Drop(string folder, string picture)
    {
        // Written under another name and renamed into place, as a camera writing to a share should.
        var temp = Path.Combine(folder, picture + ".part");
        File.Copy(Path.Combine(Demo, picture), temp);
        File.Move(temp, Path.Combine(folder, picture));
    }

    private static byte[] ToJpeg(string png)
    {
        using var frame = new ImageDecoder().Decode(File.ReadAllBytes(png), PixelFormat.Rgb24, png, 0, default);
        using var stream = new MemoryStream();
        new ImageWriter().WriteJpg(frame.Pixels.ToArray(), frame.Width, frame.Height, ColorComponents.RedGreenBlue, stream, 95);
        return stream.ToArray();
    }

    private static string Box(JsonElement box) => string.Join(',', box.EnumerateArray().Select(v => v.GetInt32()));

    private static void AssertInside(JsonElement box, int width, int height)
    {
        var b = box.EnumerateArray().Select(v => v.GetInt32()).ToArray();
        Assert.True(b[0] >= 0 && b[1] >= 0 && b[2] >= 0 && b[3] >= 0 && b[0] + b[2] <= width && b[1] + b[3] <= height, Box(box));
    }

    // Frames leave the queue in order, so when frame f is inspected every earlier frame has been published or
    // dropped: the results before it plus the drops counted by then cover frames 0..f.
    private static void AssertEveryFrameAccountedFor(List<JsonElement> results)
    {
        for (var i = 0; i < results.Count; i++)
        {
            var frame = results[i].GetProperty("frame").GetInt64();
            var dropped = results[i].GetProperty("droppedFrames").GetInt64();
            var corrupt = results[i].GetProperty("corruptFrames").GetInt64();
            Assert.True(i + dropped + corrupt >= frame, $"result {i} is frame {frame} but only {dropped} dropped and {corrupt} corrupt frames were reported");
        }
    }

    private static List<JsonElement> Payloads(IEnumerable<MqttTestSubscriber.Received> messages, string topicSuffix) =>
        [.. messages.Where(m => m.Topic.EndsWith(topicSuffix, StringComparison.Ordinal))
            .Select(m => JsonDocument.Parse(Encoding.UTF8.GetString(m.Payload)).RootElement.GetProperty("payload").Clone())];

    private async Task<List<JsonElement>> WaitForResultsAsync(int count)
    {
        await Subscriber.WaitUntilAsync(m => m.Count(x => x.Topic.EndsWith("/inspection/result", StringComparison.Ordinal)) >= count, Timeout, $"{count} inspection results");
        return Payloads(Subscriber.Messages, "/inspection/result");
    }

    private string WriteConfig(string inspection, string? modelsPath = null)
    {
        var config = _dir.File("edgeai.json");
        File.WriteAllText(config, $$"""
            {
              "Device": { "Site": "plant-1", "Id": "cam-1", "ModelsPath": "{{modelsPath ?? RepoPaths.Models}}", "DataPath": "{{_dir.File("data")}}" },
              "Mqtt": { "Host": "127.0.0.1", "Port": {{_broker.Port}} },
              "Fleet": { "HeartbeatSeconds": 3600 },
              "Inspection": {{inspection}}
            }
            """);
        return config;
    }

    private void Start(string inspection, string? modelsPath = null) => _device = Edgeai.Start("run", "--config", WriteConfig(inspection, modelsPath));

    private async Task Terminate()
    {
        Assert.Equal(0, await Edgeai.Terminate(_device!, Timeout));
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using EdgeAI.Messaging;
using EdgeAI.TestSupport;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeAI.Bench.Messaging;

/// <summary>
/// <c>EdgeAI.Bench mqtt [--messages N] [--rounds R]</c>: throughput and publish latency to a real mosquitto on
/// loopback, for <c>mosquitto_pub</c>, a bare MQTTnet client and the <see cref="MqttPublisher"/> pipeline (SQLite
/// outbox + QoS 1 window), side by side: every round runs every path, in the same broker and process, and the table
/// reports the median round.
/// </summary>
/// <remarks>
/// Throughput: N messages handed over as fast as the path takes them, divided by the time from the first hand-over
/// to the last arrival at an MQTTnet subscriber in this process. Latency: N/10 messages handed over one at a time
/// (the next once the previous has arrived), each timed from hand-over (line written to mosquitto_pub's stdin,
/// PublishAsync called) to arrival; the payload carries the hand-over time.
/// </remarks>
internal static class MqttThroughputBench
{
    private const string Padding = "scratch-0.93-12-40-64-88-inspection-defect-0193b6c4-7d2e-7c41-9a53-2f1e8d9b0a11-cam-03-plant-7";

    private static readonly Func<Task> NoPace = () => Task.CompletedTask;

    public static async Task<int> RunAsync(string[] args)
    {
        var messages = Option(args, "--messages", 20_000);
        var rounds = Option(args, "--rounds", 3);
        var loadBefore = LoadAverage();
        using var broker = new MosquittoFixture();
        using var subscriber = new MqttClientFactory().CreateMqttClient();
        DeliveryCollector? current = null;
        subscriber.ApplicationMessageReceivedAsync += e =>
        {
            Volatile.Read(ref current)?.OnMessage(e.ApplicationMessage.Topic, e.ApplicationMessage.Payload);
            return Task.CompletedTask;
        };
        await subscriber.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer(broker.Host, broker.Port).WithClientId("bench-subscriber").Build());
        await subscriber.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter("bench/#", MqttQualityOfServiceLevel.AtLeastOnce)
            .WithTopicFilter("edgeai/#", MqttQualityOfServiceLevel.AtLeastOnce)
            .Build());

        Path[] paths =
        [
            new("mosquitto_pub -l, QoS 0", (n, topic, pace) => MosquittoPubAsync(broker, n, topic, qos: 0, pace)),
            new("mosquitto_pub -l, QoS 1", (n, topic, pace) => MosquittoPubAsync(broker, n, topic, qos: 1, pace)),
            new("MQTTnet, QoS 0", (n, topic, pace) => MqttNetAsync(broker, n, topic, MqttQualityOfServiceLevel.AtMostOnce, window: 1, pace)),
            new("MQTTnet, QoS 1, 1 in flight", (n, topic, pace) => MqttNetAsync(broker, n, topic, MqttQualityOfServiceLevel.AtLeastOnce, window: 1, pace)),
            new("MQTTnet, QoS 1, 16 in flight", (n, topic, pace) => MqttNetAsync(broker, n, topic, MqttQualityOfServiceLevel.AtLeastOnce, window: 16, pace)),
            new("MqttPublisher (outbox, QoS 1, MaxInFlight 1)", (n, topic, pace) => PipelineAsync(broker, n, topic, window: 1, pace)),
            new("MqttPublisher (outbox, QoS 1, MaxInFlight 16)", (n, topic, pace) => PipelineAsync(broker, n, topic, window: 16, pace)),
        ];

        // Warm-up (JIT, SQLite, broker): every path once with a tenth of the messages, not reported.
        var results = paths.ToDictionary(p => p.Name, _ => new List<Measurement>());
        for (var round = 0; round <= rounds; round++)
        {
            var n = round == 0 ? Math.Max(100, messages / 10) : messages;
            for (var p = 0; p < paths.Length; p++)
            {
                // Flood for throughput, then paced for latency.
                var flood = new DeliveryCollector(Prefix(paths[p], $"r{round}p{p}f"), n);
                Volatile.Write(ref current, flood);
                var started = await paths[p].Run(n, Target(paths[p], $"r{round}p{p}f"), NoPace);
                await Arrived(flood, paths[p], n);

                var paced = new DeliveryCollector(Prefix(paths[p], $"r{round}p{p}l"), Math.Max(10, n / 10));
                Volatile.Write(ref current, paced);
                await paths[p].Run(Math.Max(10, n / 10), Target(paths[p], $"r{round}p{p}l"), paced.NextArrivalAsync);
                if (round > 0)
                {
                    var seconds = (flood.LastArrival - started) / (double)Stopwatch.Frequency;
                    results[paths[p].Name].Add(new Measurement(flood.Count / seconds, paced.PercentileMicroseconds(50), paced.PercentileMicroseconds(99), n - flood.Count));
                }
            }

            Console.Error.WriteLine(round == 0 ? "warm-up done" : $"round {round} of {rounds} done");
        }

        await subscriber.DisconnectAsync();
        Print(results, messages, rounds, loadBefore);
        return 0;
    }

    /// <summary>
    /// Waits until all messages arrived, or (QoS 0 may drop messages under a flood: at most once) until none has
    /// arrived for a second; QoS 1 paths must deliver all.
    /// </summary>
    private static async Task Arrived(DeliveryCollector collector, Path path, int expected)
    {
        var lossy = path.Name.Contains("QoS 0", StringComparison.Ordinal);
        var watch = Stopwatch.StartNew();
        var seen = -1;
        var quietSince = watch.Elapsed;
        while (collector.Count < expected)
        {
            if (collector.Count != seen)
            {
                seen = collector.Count;
                quietSince = watch.Elapsed;
            }
            else if (watch.Elapsed - quietSince > TimeSpan.FromSeconds(lossy ? 1 : 60))
            {
                if (lossy)
                {
                    return;
                }

                throw new TimeoutException($"{path.Name}: only {collector.Count} of {expected} message(s) arrived.");
            }

            await Task.Delay(5);
        }
    }

    // The raw clients publish on bench/{id}; a publisher with device {id} publishes under edgeai/bench/{id}/.
    private static bool IsPipeline(Path path) => path.Name.StartsWith("MqttPublisher", StringComparison.Ordinal);

    private static string Target(Path path, string id) => IsPipeline(path) ? id : "bench/" + id;

    private static string Prefix(Path path, string id) => IsPipeline(path) ? $"edgeai/bench/{id}/" : "bench/" + id;

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static void Print(Dictionary<string, List<Measurement>> results, int messages, int rounds, string loadBefore)
    {
        var baseline = Median(results["MQTTnet, QoS 1, 1 in flight"]);
        var windowed = Median(results["MQTTnet, QoS 1, 16 in flight"]);
        var culture = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(culture, $"{messages:N0} messages per path, median of {rounds} rounds; mosquitto on 127.0.0.1; load average at start: {loadBefore}, at end: {LoadAverage()}"));
        Console.WriteLine("| path | delivered/s | µs per message | cost vs bare QoS 1 (1 / 16 in flight) | lost in flood | p50 latency µs | p99 latency µs |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var (name, list) in results)
        {
            var m = Median(list);
            var perMessage = 1e6 / m.Throughput;
            Console.WriteLine(string.Create(culture, $"| {name} | {m.Throughput:N0} | {perMessage:F1} | {baseline.Throughput / m.Throughput:F2} / {windowed.Throughput / m.Throughput:F2} | {m.Lost:N0} | {m.P50:N0} | {m.P99:N0} |"));
        }
    }

    private static Measurement Median(List<Measurement> list) => list.OrderBy(m => m.Throughput).ElementAt(list.Count / 2) with
    {
        P50 = list.Select(m => m.P50).Order().ElementAt(list.Count / 2),
        P99 = list.Select(m => m.P99).Order().ElementAt(list.Count / 2),
    };

    private static string Payload(long handedOverAt) => string.Create(CultureInfo.InvariantCulture, $$"""{"t":{{handedOverAt}},"pad":"{{Padding}}"}""");

    /// <returns>The first hand-over's timestamp.</returns>
    private static async Task<long> MosquittoPubAsync(MosquittoFixture broker, int n, string topic, int qos, Func<Task> pace)
    {
        var info = new ProcessStartInfo("mosquitto_pub")
        {
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "-h", broker.Host, "-p", broker.Port.ToString(CultureInfo.InvariantCulture), "-t", topic, "-q", qos.ToString(CultureInfo.InvariantCulture), "-l" })
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        await Task.Delay(500); // let it connect: process start is not what is measured
        var stdin = process.StandardInput;
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < n; i++)
        {
            await stdin.WriteLineAsync(Payload(Stopwatch.GetTimestamp()));
            if (pace != NoPace || (i & 63) == 63)
            {
                await stdin.FlushAsync(); // a flood hands lines over in groups of 64
            }

            await pace();
        }

        stdin.Close();
        await process.WaitForExitAsync();
        return started;
    }

    private static async Task<long> MqttNetAsync(MosquittoFixture broker, int n, string topic, MqttQualityOfServiceLevel qos, int window, Func<Task> pace)
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer(broker.Host, broker.Port).WithClientId("bench-mqttnet").WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).Build());
        var inFlight = new Queue<Task<MqttClientPublishResult>>(window);
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < n; i++)
        {
            if (inFlight.Count == window)
            {
                await inFlight.Dequeue();
            }

            inFlight.Enqueue(client.PublishAsync(new MqttApplicationMessageBuilder()
                .WithTopic(topic)
                .WithPayload(Encoding.UTF8.GetBytes(Payload(Stopwatch.GetTimestamp())))
                .WithQualityOfServiceLevel(qos)
                .Build()));
            await pace();
        }

        while (inFlight.Count > 0)
        {
            await inFlight.Dequeue();
        }

        await client.DisconnectAsync();
        return started;
    }

    private static async Task<long> PipelineAsync(MosquittoFixture broker, int n, string device, int window, Func<Task> pace)
    {
        var outbox = broker.Files.File($"outbox-{device}.db");
        await using var publisher = new MqttPublisher(new MqttPublisherOptions
        {
            Host = broker.Host,
            Port = broker.Port,
            Site = "bench",
            Device = device,
            ClientId = "bench-" + device,
            OutboxPath = outbox,
            MaxInFlight = window,
            MaxOutboxMessages = Math.Max(100_000, n),
        });
        await publisher.StartAsync();
        while (!publisher.IsConnected)
        {
            await Task.Delay(10);
        }

        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < n; i++)
        {
            using var result = JsonDocument.Parse(string.Create(CultureInfo.InvariantCulture, $$"""{"t":{{Stopwatch.GetTimestamp()}},"label":"scratch","score":0.93,"box":[12,40,64,88]}"""));
            await publisher.PublishAsync("inspection", "defect", result.RootElement);
            await pace();
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await publisher.WaitUntilDeliveredAsync(cts.Token);
        return started;
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length && int.TryParse(args[at + 1], CultureInfo.InvariantCulture, out var value) && value > 0 ? value : fallback;
    }

    /// <param name="Name">Row label.</param>
    /// <param name="Run">Hands over N messages on a topic (calling the pacer after each); returns the first hand-over's timestamp.</param>
    private sealed record Path(string Name, Func<int, string, Func<Task>, Task<long>> Run);

    private sealed record Measurement(double Throughput, double P50, double P99, int Lost);
}

using System.Diagnostics;
using System.Globalization;
using EdgeAI.Agents.Inspection;
using EdgeAI.Inference;
using EdgeAI.Messaging;
using EdgeAI.TestSupport;
using EdgeAI.Vision;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeAI.Bench.Vision;

/// <summary>
/// Frame to publish, per model variant, side by side in one run: decode a picture, preprocess, infer, find the
/// heatmap regions, write the inspection result and hand it to the <see cref="MqttPublisher"/> (SQLite outbox,
/// QoS 1 to mosquitto on loopback, or the embedded broker when mosquitto is missing), with the inspection
/// agent's own code (<see cref="InspectionLoop"/>). Every variant in the model's manifest is measured, so new
/// variants appear by themselves.
/// </summary>
/// <remarks>
/// Not a BenchmarkDotNet benchmark: latency percentiles are over single frames (BenchmarkDotNet's are over
/// iterations). The variants take turns in rounds so that a noisy neighbour slows them alike.
/// <list type="bullet">
/// <item>Latency: one frame at a time; <c>to PUBACK</c> waits until the broker acknowledged the result and the
/// outbox deleted it; <c>to hand-over</c> stops when the publisher took it (what the agent's <c>latencyMs.total</c> measures).</item>
/// <item>Sequential throughput: a burst of frames decoded, inspected and handed over one after another on one thread,
/// then waiting for delivery: frames/s to the broker, and frames/s of decode + inspection alone. Bytes allocated per
/// frame on that thread by inspection and hand-over (decode excluded) are counted over the same bursts.</item>
/// <item>Pipelined throughput: the agent's loop as the device runs it: a camera decoding on the pump task, a queue
/// of <c>--queue</c> frames (the agent's default 2; waiting, not dropping, so every frame counts), inspection and
/// hand-over on the loop, the publisher's outbox and sends on theirs; frames/s from the first read to the last PUBACK,
/// and the process's CPU time per frame. On a shared, overloaded machine wall-clock frames/s mostly measure the
/// neighbours, so the table also projects frames/s for an idle 2-core machine from CPU time: the inspection loop is
/// one thread (its per-frame median stages) and all threads share two cores (CPU time / 2); the slower bound wins.</item>
/// </list>
/// </remarks>
internal static class FrameToPublishBench
{
    public const string Command = "frame-to-publish";

    public static async Task<int> RunAsync(string[] args)
    {
        var settings = Settings.Parse(args);
        var modelDirectory = Path.Combine(settings.Models, settings.Model);
        var manifest = ModelManifestReader.Read(Path.Combine(modelDirectory, ModelManifest.FileName));
        var variants = manifest.Variants.Select(v => v.Name).OrderBy(v => v == "fp32" ? 0 : 1).ToArray();
        var pictures = InspectionSources.Pictures(Path.Combine(modelDirectory, "demo")).Select(p => (Name: Path.GetFileName(p), Bytes: File.ReadAllBytes(p))).ToArray();
        if (pictures.Length == 0)
        {
            Console.Error.WriteLine($"{Command}: no pictures in {Path.Combine(modelDirectory, "demo")}.");
            return 2;
        }

        using var files = new TempDirectory();
        await using var broker = await Broker.StartAsync();
        await using var publisher = new MqttPublisher(new MqttPublisherOptions
        {
            Host = "127.0.0.1",
            Port = broker.Port,
            Site = "bench",
            Device = "bench",
            ClientId = "bench-frame-to-publish",
            OutboxPath = files.File("outbox.db"),
            ChannelCapacity = Math.Max(settings.Burst, settings.Pipelined) * 2,
        });
        await publisher.StartAsync();

        var runs = variants.Select(v => new VariantRun(modelDirectory, v, publisher, pictures)).ToArray();
        try
        {
            Console.WriteLine($"{Command}: {manifest.Name} {manifest.Version}, variants {string.Join(", ", variants)}; {pictures.Length} demo pictures; broker {broker.Name}; {settings.Rounds} rounds of {settings.Frames} single frames + a burst of {settings.Burst} + {settings.Pipelined} pipelined (queue of {settings.Queue}) per variant.");
            foreach (var run in runs)
            {
                await run.LatencyAsync(settings.Frames / 2, record: false); // warm-up: JIT, ORT arenas, outbox pages
            }

            for (var round = 0; round < settings.Rounds; round++)
            {
                foreach (var run in runs)
                {
                    await run.LatencyAsync(settings.Frames, record: true);
                    await run.ThroughputAsync(settings.Burst);
                    await run.PipelinedAsync(settings.Pipelined, settings.Queue);
                }
            }

            Print(runs);
            if (publisher.Statistics.Rejected != 0)
            {
                Console.Error.WriteLine($"{Command}: the publisher refused {publisher.Statistics.Rejected} result(s); the figures are not valid.");
                return 1;
            }
        }
        finally
        {
            foreach (var run in runs)
            {
                run.Dispose();
            }
        }

        return 0;
    }

    private static void Print(VariantRun[] runs)
    {
        var baseline = runs.FirstOrDefault(r => r.Variant == "fp32") ?? runs[0];
        Console.WriteLine();
        Console.WriteLine("| variant | to PUBACK p50 / p99 ms | to hand-over p50 / p99 ms | decode p50 ms | preprocess p50 ms | inference p50 ms | regions+message p50 ms | bytes allocated per frame (inspect+hand-over / decode) | frames/s to broker, sequential | frames/s to broker, pipelined | frames/s decode+inspect | CPU ms per frame, sequential / pipelined | frames/s projected, idle 2 cores | inference speed-up | frames/s ratio (sequential / pipelined / compute / projected) |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in runs)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Variant} | {P(r.ToAck, 50):f3} / {P(r.ToAck, 99):f3} | {P(r.ToHandOver, 50):f3} / {P(r.ToHandOver, 99):f3} | {P(r.Decode, 50):f3} | {P(r.Preprocess, 50):f3} | {P(r.Inference, 50):f3} | {P(r.Message, 50):f3} | {r.InspectBytesPerFrame:f0} / {r.DecodeBytesPerFrame:f0} | {r.BrokerFps:f0} | {r.PipelinedFps:f0} | {r.ComputeFps:f0} | {r.SequentialCpuMsPerFrame:f3} / {r.CpuMsPerFrame:f3} | {r.ProjectedFps:f0} | {P(baseline.Inference, 50) / P(r.Inference, 50):f2}x | {r.BrokerFps / baseline.BrokerFps:f2}x / {r.PipelinedFps / baseline.PipelinedFps:f2}x / {r.ComputeFps / baseline.ComputeFps:f2}x / {r.ProjectedFps / baseline.ProjectedFps:f2}x |"));
        }

        Console.WriteLine();
        Console.WriteLine($"Ratios are against {baseline.Variant} in the same run; {runs[0].ToAck.Count} single frames per variant.");
    }

    // Nearest-rank percentile.
    private static double P(List<double> values, int percentile)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToArray();
        var rank = (int)Math.Ceiling(percentile / 100.0 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    private sealed class VariantRun : IDisposable
    {
        private readonly EdgeModel _model;
        private readonly InspectionLoop _loop;
        private readonly MqttPublisher _publisher;
        private readonly (string Name, byte[] Bytes)[] _pictures;
        private readonly ImageDecoder _decoder = new();
        private long _sequence;
        private double _brokerFrames;
        private double _brokerSeconds;
        private double _computeSeconds;
        private double _inspectBytes;
        private double _decodeBytes;
        private double _pipelinedFrames;
        private double _pipelinedSeconds;
        private long _counted;
        private double _pipelinedCpuMs;
        private double _sequentialCpuMs;

        public VariantRun(string modelDirectory, string variant, MqttPublisher publisher, (string Name, byte[] Bytes)[] pictures)
        {
            Variant = variant;
            _model = EdgeModel.Load(modelDirectory, new EdgeModelOptions { Variant = variant });
            _loop = new InspectionLoop(new DefectInspector(_model), publisher, InspectionPublishMode.Frame, fileNameSources: true, store: null, ImageSaveMode.None, TimeProvider.System, NullLogger.Instance);
            _publisher = publisher;
            _pictures = pictures;
        }

        public string Variant { get; }

        public List<double> ToAck { get; } = [];

        public List<double> ToHandOver { get; } = [];

        public List<double> Decode { get; } = [];

        public List<double> Preprocess { get; } = [];

        public List<double> Inference { get; } = [];

        public List<double> Message { get; } = [];

        public double BrokerFps => _brokerFrames / _brokerSeconds;

        public double ComputeFps => _brokerFrames / _computeSeconds;

        public double PipelinedFps => _pipelinedFrames / _pipelinedSeconds;

        /// <summary>CPU time of all this process's threads per pipelined frame (decode, inspection, outbox, MQTT client; not the broker).</summary>
        public double CpuMsPerFrame => _pipelinedCpuMs / _pipelinedFrames;

        /// <summary>The same for the sequential bursts.</summary>
        public double SequentialCpuMsPerFrame => _sequentialCpuMs / _brokerFrames;

        /// <summary>The inspection loop's share of a frame (preprocess + inference + regions and message, medians).</summary>
        public double LoopMs => P(Preprocess, 50) + P(Inference, 50) + P(Message, 50);

        /// <summary>
        /// Frames/s an otherwise idle 2-core machine could sustain: the inspection loop is one thread, and every
        /// frame's CPU time shares the two cores, so the slower of the two bounds it.
        /// </summary>
        public double ProjectedFps => 1000 / Math.Max(LoopMs, CpuMsPerFrame / 2);

        public double InspectBytesPerFrame => _inspectBytes / _counted;

        public double DecodeBytesPerFrame => _decodeBytes / _counted;

        public async Task LatencyAsync(int frames, bool record)
        {
            for (var i = 0; i < frames; i++)
            {
                var start = Stopwatch.GetTimestamp();
                var (decode, inspection, handedOver) = HandOver();
                await _publisher.WaitUntilDeliveredAsync();
                var acknowledged = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                if (!record)
                {
                    // Warm-up: what JIT, ORT arenas and first-use buffers allocate is not a per-frame cost.
                    (_inspectBytes, _decodeBytes, _counted) = (0, 0, 0);
                }
                else
                {
                    ToAck.Add(acknowledged);
                    ToHandOver.Add(handedOver);
                    Decode.Add(decode);
                    Preprocess.Add(inspection.PreprocessMs);
                    Inference.Add(inspection.InferenceMs);
                    Message.Add(handedOver - decode - inspection.LatencyMs);
                }
            }
        }

        public async Task ThroughputAsync(int frames)
        {
            var cpu = Environment.CpuUsage.TotalTime;
            var start = Stopwatch.GetTimestamp();
            double compute = 0;
            for (var i = 0; i < frames; i++)
            {
                var (decode, inspection, _) = HandOver();
                compute += decode + inspection.LatencyMs;
            }

            await _publisher.WaitUntilDeliveredAsync();
            _brokerSeconds += Stopwatch.GetElapsedTime(start).TotalSeconds;
            _sequentialCpuMs += (Environment.CpuUsage.TotalTime - cpu).TotalMilliseconds;
            _computeSeconds += compute / 1000;
            _brokerFrames += frames;
        }

        public async Task PipelinedAsync(int frames, int queueCapacity)
        {
            using var camera = new ReplayCamera(_pictures, frames);
            using var queue = new FrameQueue(queueCapacity, dropOldest: false);
            var cpu = Environment.CpuUsage.TotalTime;
            var start = Stopwatch.GetTimestamp();
            var inspected = await _loop.RunAsync(camera, queue, CancellationToken.None);
            await _publisher.WaitUntilDeliveredAsync();
            _pipelinedSeconds += Stopwatch.GetElapsedTime(start).TotalSeconds;
            _pipelinedCpuMs += (Environment.CpuUsage.TotalTime - cpu).TotalMilliseconds;
            _pipelinedFrames += inspected;
        }

        public void Dispose()
        {
            _loop.Dispose();
            _model.Dispose();
        }

        // Decode, inspect and hand over one picture, as the inspection agent does per frame; times in ms.
        private (double Decode, InspectionVerdict Inspection, double HandedOver) HandOver()
        {
            var allocated = GC.GetAllocatedBytesForCurrentThread();
            var start = Stopwatch.GetTimestamp();
            var (name, bytes) = _pictures[_sequence % _pictures.Length];
            using var frame = _decoder.Decode(bytes, PixelFormat.Rgb24, name, _sequence++, DateTimeOffset.UtcNow);
            var decode = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            var decoded = GC.GetAllocatedBytesForCurrentThread();
            var verdict = _loop.Process(frame, 0, 0);
            var handedOver = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            _inspectBytes += GC.GetAllocatedBytesForCurrentThread() - decoded;
            _decodeBytes += decoded - allocated;
            _counted++;
            return (decode, verdict, handedOver);
        }
    }

    private sealed record Settings(string Models, string Model, int Frames, int Rounds, int Burst, int Pipelined, int Queue)
    {
        public static Settings Parse(string[] args)
        {
            var s = new Settings(RepoPaths.Models, "defect-cnn", 100, 5, 200, 400, 2);
            for (var i = 0; i + 1 < args.Length; i += 2)
            {
                s = args[i] switch
                {
                    "--models" => s with { Models = args[i + 1] },
                    "--model" => s with { Model = args[i + 1] },
                    "--frames" => s with { Frames = int.Parse(args[i + 1], CultureInfo.InvariantCulture) },
                    "--rounds" => s with { Rounds = int.Parse(args[i + 1], CultureInfo.InvariantCulture) },
                    "--burst" => s with { Burst = int.Parse(args[i + 1], CultureInfo.InvariantCulture) },
                    "--pipelined" => s with { Pipelined = int.Parse(args[i + 1], CultureInfo.InvariantCulture) },
                    "--queue" => s with { Queue = int.Parse(args[i + 1], CultureInfo.InvariantCulture) },
                    _ => throw new ArgumentException($"{Command}: unknown option '{args[i]}'; expected --models DIR, --model NAME, --frames N, --rounds N, --burst N, --pipelined N, --queue N (the agent's QueueCapacity, default 2)."),
                };
            }

            return s;
        }
    }

    // mosquitto when installed (what the tests use), else the program's embedded broker.
    private sealed class Broker : IAsyncDisposable
    {
        private readonly MosquittoFixture? _mosquitto;
        private readonly EmbeddedBroker? _embedded;

        private Broker(MosquittoFixture? mosquitto, EmbeddedBroker? embedded)
        {
            _mosquitto = mosquitto;
            _embedded = embedded;
        }

        public int Port => _mosquitto?.Port ?? _embedded!.Port;

        public string Name => _mosquitto is not null ? $"mosquitto on 127.0.0.1:{Port}" : $"embedded MQTTnet on 127.0.0.1:{Port}";

        public static async Task<Broker> StartAsync()
        {
            try
            {
                return new Broker(new MosquittoFixture(), null);
            }
            catch (InvalidOperationException)
            {
                return new Broker(null, await EmbeddedBroker.StartAsync());
            }
        }

        public async ValueTask DisposeAsync()
        {
            _mosquitto?.Dispose();
            if (_embedded is not null)
            {
                await _embedded.DisposeAsync();
            }
        }
    }
}

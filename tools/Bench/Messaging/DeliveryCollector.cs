using System.Buffers;
using System.Buffers.Text;
using System.Diagnostics;
using System.Text;

namespace EdgeAI.Bench.Messaging;

/// <summary>
/// The subscriber side of one measured run: counts the messages on its topic and, for each, the time from when the
/// producer handed it over (a Stopwatch timestamp the producer wrote into the payload as <c>"t":TICKS</c>) to its arrival.
/// </summary>
internal sealed class DeliveryCollector
{
    private static readonly byte[] Marker = "\"t\":"u8.ToArray();
    private readonly string _topicPrefix;
    private readonly long[] _latencyTicks;
    private readonly TaskCompletionSource _complete = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _arrivals = new(0);
    private int _count;
    private long _lastArrival;

    public DeliveryCollector(string topicPrefix, int expected)
    {
        _topicPrefix = topicPrefix;
        _latencyTicks = new long[expected];
    }

    public int Count => Volatile.Read(ref _count);

    public long LastArrival => Volatile.Read(ref _lastArrival);

    /// <summary>Called by the subscriber for every message (any topic).</summary>
    public void OnMessage(string topic, in ReadOnlySequence<byte> payload)
    {
        if (!topic.StartsWith(_topicPrefix, StringComparison.Ordinal))
        {
            return;
        }

        var now = Stopwatch.GetTimestamp();
        var bytes = payload.IsSingleSegment ? payload.FirstSpan : payload.ToArray();
        var at = bytes.IndexOf(Marker);
        if (at < 0 || !Utf8Parser.TryParse(bytes[(at + Marker.Length)..], out long sentAt, out _))
        {
            throw new InvalidOperationException($"Message on '{topic}' carries no \"t\": timestamp: {Encoding.UTF8.GetString(bytes)}");
        }

        var index = Interlocked.Increment(ref _count) - 1;
        if (index < _latencyTicks.Length)
        {
            _latencyTicks[index] = now - sentAt;
        }

        Volatile.Write(ref _lastArrival, now);
        _arrivals.Release();
        if (index + 1 == _latencyTicks.Length)
        {
            _complete.TrySetResult();
        }
    }

    public Task WaitAsync(TimeSpan timeout) => _complete.Task.WaitAsync(timeout);

    /// <summary>For a paced producer: completes when the next message has arrived.</summary>
    public Task NextArrivalAsync() => _arrivals.WaitAsync(TimeSpan.FromSeconds(30)).ContinueWith(
        t => t.Result ? Task.CompletedTask : throw new TimeoutException($"No message on '{_topicPrefix}' within 30 s."),
        TaskScheduler.Default).Unwrap();

    /// <summary>Latency percentile in microseconds (nearest rank).</summary>
    public double PercentileMicroseconds(double percentile)
    {
        var sorted = _latencyTicks.AsSpan(0, Math.Min(Count, _latencyTicks.Length)).ToArray();
        Array.Sort(sorted);
        var rank = (int)Math.Ceiling(percentile / 100 * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)] * 1e6 / Stopwatch.Frequency;
    }
}

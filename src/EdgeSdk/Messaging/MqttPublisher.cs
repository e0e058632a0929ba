using System.Buffers;
using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MQTTnet;
using MQTTnet.Exceptions;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace EdgeAI.Messaging;

/// <summary>
/// Publishes agent results to an MQTT broker without losing them when the network or the broker goes away.
/// </summary>
/// <remarks>
/// <para>
/// Agents call <see cref="TryPublish(string, string, JsonElement)"/>, which only puts the result into a bounded
/// in-memory queue (<see cref="MqttPublisherOptions.ChannelCapacity"/>) and returns at once: inference never
/// waits for the disk or the network. When the queue is full the result is refused (<see langword="false"/>,
/// counted in <see cref="MqttPublisherStatistics.Rejected"/>); <see cref="PublishAsync(string, string, JsonElement, CancellationToken)"/>
/// waits for room instead. A background loop moves queued results into the <see cref="SqliteOutbox"/> in batches
/// (one transaction each), where each gets its message id and sequence number, and a second loop sends the
/// outbox to the broker in order with QoS 1, up to <see cref="MqttPublisherOptions.MaxInFlight"/> unacknowledged at a
/// time, deleting each message only after its PUBACK. The wire format (<see cref="MqttPublisherOptions.PayloadFormat"/>)
/// is chosen at send time: the JSON <see cref="MessageEnvelope"/>, or Sparkplug B (NBIRTH/DBIRTH/DDATA with the
/// session's seq and bdSeq, NDEATH as the last will) for SCADA hosts.
/// </para>
/// <para>
/// Connection: MQTT 5 with fallback to 3.1.1 for that connection (<see cref="MqttPublisherOptions.ProtocolVersion"/>), keep-alive,
/// reconnect with jittered exponential backoff, a retained <c>online</c> birth message on
/// <see cref="TopicScheme.StatusTopic"/> after every connect and a retained <c>offline</c> last will (also sent
/// on a clean <see cref="StopAsync"/>). TLS 1.2/1.3 with a CA file and optional client certificate; any
/// certificate problem fails closed and is described in <see cref="MqttPublisherStatistics.LastError"/>.
/// </para>
/// <para>
/// Delivery is at least once: a message whose PUBACK was lost is sent again with the same message id.
/// Results still in the in-memory queue when the process dies are lost; everything in the outbox is not.
/// Thread safety: the publish methods may be called from any number of threads.
/// </para>
/// </remarks>
public sealed partial class MqttPublisher : IAsyncDisposable
{
    /// <summary>Payload of the retained status message while connected.</summary>
    public const string OnlinePayload = "online";

    /// <summary>Payload of the retained status message (and last will) when disconnected.</summary>
    public const string OfflinePayload = "offline";

    private const int IngestBatch = 256;
    private const int SendBatch = 128;

    // Acknowledged messages are deleted in groups of this many (one transaction, one fsync), or sooner when the
    // outbox has nothing more to send, a batch fails, or the publisher stops. Deleting after every small batch made
    // a publisher that keeps up with its producers pay an fsync per handful of messages (measured: a window of 16
    // ran slower than one message in flight).
    private const int DeleteBatch = 256;

    private readonly MqttPublisherOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<OutboxEntry> _queue;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly ConcurrentDictionary<(string Agent, string Kind), string> _topicCache = new();
    private readonly ReconnectBackoff _backoff;
    private readonly TlsMaterial? _tls;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _drainGate = new();
    private ArrayPool<byte>? _payloadPool;
    private TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private SqliteOutbox? _outbox;
    private IMqttClient? _client;
    private Task? _ingestLoop;
    private Task? _sendLoop;
    private volatile bool _connected;
    private readonly SparkplugResultEncoder? _sparkplug;
    private readonly Queue<InFlight> _inFlight = new(); // send loop only
    private readonly List<SparkplugMessage> _encoded = []; // send loop only
    private int _window = 1; // in-flight limit of the current connection
    private readonly List<long> _toDelete = []; // send loop only: acknowledged, not yet deleted
    private long _cursor; // send loop only: the last row started; the next Peek starts after it
    private CancellationTokenSource? _sending; // send loop only: cancels the publishes in flight
    private volatile bool _rebirthRequested;
    private int _ingesting;
    private int _attempt; // reconnect attempts since messages last flowed; used by the send loop only
    private int _state; // 0 created, 1 started, 2 stopped
    private int _disposed;
    private long _accepted;
    private long _rejected;
    private long _stored;
    private long _storeFailed;
    private long _published;
    private long _refused;
    private long _connections;
    private long _connectFailures;
    private MqttProtocol? _negotiated;
    private volatile string? _lastError;
    private string? _lastLoggedFailure; // send loop only

    /// <summary>Creates a publisher; nothing is opened or connected until <see cref="StartAsync"/>.</summary>
    /// <param name="options">Settings; validated here.</param>
    /// <param name="timeProvider">Clock for timestamps and reconnect delays; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <param name="logger">Logger; none when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">A setting is invalid or a TLS file cannot be parsed; the message names the setting.</exception>
    /// <exception cref="FileNotFoundException">A TLS file is missing.</exception>
    public MqttPublisher(MqttPublisherOptions options, TimeProvider? timeProvider = null, ILogger<MqttPublisher>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        Topics = new TopicScheme(options.Site, options.Device, options.TopicPrefix);
        _backoff = new ReconnectBackoff(options.BackoffMin, options.BackoffMax);
        _tls = options.TlsEnabled ? TlsMaterial.Load(options) : null;
        _sparkplug = options.PayloadFormat == MqttPayloadFormat.Sparkplug ? new SparkplugResultEncoder(options.Site, options.Device, _time) : null;
        _queue = Channel.CreateBounded<OutboxEntry>(new BoundedChannelOptions(options.ChannelCapacity)
        {
            // TryWrite fails instead of waiting when full; PublishAsync waits. Nothing is silently dropped.
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
    }

    /// <summary>The topics this publisher uses.</summary>
    public TopicScheme Topics { get; }

    /// <summary>Whether the broker connection is up.</summary>
    public bool IsConnected => _connected;

    /// <summary>A snapshot of the counters.</summary>
    public MqttPublisherStatistics Statistics => new()
    {
        Accepted = Interlocked.Read(ref _accepted),
        Rejected = Interlocked.Read(ref _rejected),
        Stored = Interlocked.Read(ref _stored),
        StoreFailed = Interlocked.Read(ref _storeFailed),
        Published = Interlocked.Read(ref _published),
        RefusedByBroker = Interlocked.Read(ref _refused),
        OutboxPending = _outbox?.Count ?? 0,
        OutboxDropped = _outbox?.DroppedCount ?? 0,
        OutboxCorrupt = _outbox?.CorruptCount ?? 0,
        Connections = Interlocked.Read(ref _connections),
        ConnectFailures = Interlocked.Read(ref _connectFailures),
        IsConnected = _connected,
        NegotiatedProtocol = _negotiated,
        LastError = _lastError,
    };

    /// <summary>Opens the outbox and starts the background loops. Returns without waiting for the broker.</summary>
    /// <param name="cancellationToken">Cancels opening the outbox.</param>
    /// <returns>A task that completes when the loops are running.</returns>
    /// <exception cref="OutboxException">The outbox file cannot be opened.</exception>
    /// <exception cref="InvalidOperationException">Already started or stopped.</exception>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0)
        {
            throw new InvalidOperationException("The publisher was already started.");
        }

        _outbox = SqliteOutbox.Open(_options.OutboxPath, _options.Device, _options.MaxOutboxMessages, _time);
        LogOutboxOpened(_logger, _outbox.Path, _outbox.Count, _outbox.DroppedCount);
        _ingestLoop = Task.Run(IngestLoopAsync, CancellationToken.None);
        _sendLoop = Task.Run(SendLoopAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Hands a result over without blocking.</summary>
    /// <param name="agent">Agent name: one topic level.</param>
    /// <param name="kind">Result kind: one topic level.</param>
    /// <param name="payload">The result, a JSON object; copied, so the caller may dispose its document.</param>
    /// <returns><see langword="false"/> when the in-memory queue is full or the publisher is stopped (the result is not kept).</returns>
    /// <exception cref="ArgumentException"><paramref name="agent"/> or <paramref name="kind"/> is not a valid topic level, or <paramref name="payload"/> is not a JSON object.</exception>
    public bool TryPublish(string agent, string kind, JsonElement payload) =>
        TryEnqueue(agent, kind, CheckPayload(payload).Clone());

    /// <summary>Hands a result over without blocking, serializing it with source-generated metadata (AOT-safe).</summary>
    /// <typeparam name="T">The result type; must serialize to a JSON object.</typeparam>
    /// <param name="agent">Agent name: one topic level.</param>
    /// <param name="kind">Result kind: one topic level.</param>
    /// <param name="result">The result.</param>
    /// <param name="jsonTypeInfo">Metadata from the agent's <c>JsonSerializerContext</c>.</param>
    /// <returns><see langword="false"/> when the in-memory queue is full or the publisher is stopped.</returns>
    /// <exception cref="ArgumentException">A name is not a valid topic level, or the result does not serialize to a JSON object.</exception>
    public bool TryPublish<T>(string agent, string kind, T result, JsonTypeInfo<T> jsonTypeInfo)
    {
        ArgumentNullException.ThrowIfNull(jsonTypeInfo);
        return TryEnqueue(agent, kind, CheckPayload(JsonSerializer.SerializeToElement(result, jsonTypeInfo)));
    }

    /// <summary>
    /// Hands a result over without blocking, as UTF-8 JSON the caller already wrote (for example with a reused
    /// <see cref="Utf8JsonWriter"/>): no <see cref="JsonElement"/> is built, and the bytes are copied into a pooled
    /// buffer, so a producer that writes into its own reused buffer allocates nothing per result.
    /// </summary>
    /// <param name="agent">Agent name: one topic level.</param>
    /// <param name="kind">Result kind: one topic level.</param>
    /// <param name="utf8Json">
    /// The result: one JSON object in valid UTF-8, nested at most 63 deep. Copied; the caller may reuse its buffer. It is
    /// embedded in the envelope as given, so write it with <see cref="System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping"/>
    /// to get the bytes <see cref="TryPublish(string, string, JsonElement)"/> would send (which re-escapes its payload that way).
    /// </param>
    /// <returns><see langword="false"/> when the in-memory queue is full or the publisher is stopped (the result is not kept).</returns>
    /// <exception cref="ArgumentException">A name is not a valid topic level, or <paramref name="utf8Json"/> is not a single valid JSON object.</exception>
    public bool TryPublishUtf8(string agent, string kind, ReadOnlySpan<byte> utf8Json)
    {
        CheckPayload(utf8Json);
        var entry = CreateEntry(agent, kind, default);
        var pool = PayloadPool;
        var copy = pool.Rent(utf8Json.Length);
        utf8Json.CopyTo(copy);
        if (TryEnqueue(entry with { Utf8Payload = copy, Utf8Length = utf8Json.Length }))
        {
            return true;
        }

        pool.Return(copy);
        return false;
    }

    // Copies of TryPublishUtf8 payloads until the ingest loop has stored them. Sized for every copy that can be out
    // at once (a full queue plus the batch being stored), so once a burst has filled it a copy never allocates; the
    // shared pool keeps only a few dozen arrays per size and would allocate again under a burst. Created on first use.
    private ArrayPool<byte> PayloadPool =>
        _payloadPool ?? Interlocked.CompareExchange(ref _payloadPool, ArrayPool<byte>.Create(64 * 1024, _options.ChannelCapacity + IngestBatch), null) ?? _payloadPool;

    /// <summary>Hands a result over, waiting while the in-memory queue is full.</summary>
    /// <param name="agent">Agent name: one topic level.</param>
    /// <param name="kind">Result kind: one topic level.</param>
    /// <param name="payload">The result, a JSON object; copied.</param>
    /// <param name="cancellationToken">Stops waiting for room.</param>
    /// <returns>A task that completes when the result is queued.</returns>
    /// <exception cref="ArgumentException">A name is not a valid topic level, or the payload is not a JSON object.</exception>
    /// <exception cref="InvalidOperationException">The publisher is stopped.</exception>
    public async ValueTask PublishAsync(string agent, string kind, JsonElement payload, CancellationToken cancellationToken = default)
    {
        var entry = CreateEntry(agent, kind, CheckPayload(payload).Clone());
        try
        {
            await _queue.Writer.WriteAsync(entry, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException ex)
        {
            throw new InvalidOperationException("The publisher is stopped.", ex);
        }

        Interlocked.Increment(ref _accepted);
    }

    /// <summary>
    /// Waits until every result handed over so far has been acknowledged by the broker (queue and outbox empty).
    /// </summary>
    /// <param name="cancellationToken">Stops waiting; use a timeout, the broker may be away for a long time.</param>
    /// <returns>A task that completes when everything is delivered.</returns>
    public async Task WaitUntilDeliveredAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Task drained;
            lock (_drainGate)
            {
                if (IsIdle())
                {
                    return;
                }

                drained = _drained.Task;
            }

            _wake.Writer.TryWrite(true);
            await drained.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Stops: stores what is still queued, stops sending, publishes the retained <c>offline</c> status and
    /// disconnects. Undelivered messages stay in the outbox for the next start.
    /// </summary>
    /// <param name="cancellationToken">Abandons the graceful disconnect.</param>
    /// <returns>A task that completes when stopped.</returns>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _state, 2) != 1)
        {
            _queue.Writer.TryComplete();
            return;
        }

        _queue.Writer.TryComplete();
        if (_ingestLoop is not null)
        {
            await _ingestLoop.ConfigureAwait(false);
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        if (_sendLoop is not null)
        {
            await _sendLoop.ConfigureAwait(false);
        }

        var client = _client;
        if (client is not null && client.IsConnected)
        {
            using var guard = Guard(cancellationToken);
            try
            {
                var farewell = _sparkplug is null
                    ? StatusMessage(OfflinePayload)
                    : SparkplugMessage(_sparkplug.NodeDeath(), MqttQualityOfServiceLevel.AtLeastOnce);
                await client.PublishAsync(farewell, guard.Token).WaitAsync(guard.Token).ConfigureAwait(false);
                await client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build(), guard.Token).WaitAsync(guard.Token).ConfigureAwait(false);
            }
            // Whatever the broker does now (gone, timed out, answering garbage), stopping must not fail:
            // without the DISCONNECT it sends the last will instead.
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogDisconnectFailed(_logger, ex.Message);
            }
        }

        _connected = false;
    }

    /// <summary>Stops (see <see cref="StopAsync"/>) and releases the outbox and the connection.</summary>
    /// <returns>A task that completes when disposed.</returns>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _client?.Dispose();
        _outbox?.Dispose();
        _tls?.Dispose();
        _stop.Dispose();
    }

    private static JsonElement CheckPayload(JsonElement payload)
    {
        if (payload.ValueKind != JsonValueKind.Object)
        {
            throw new ArgumentException($"The payload is a JSON {payload.ValueKind}; a result must be a JSON object.", nameof(payload));
        }

        return payload;
    }

    // The envelope nests the payload one level deeper; MessagingJsonContext allows 64 in all.
    private static void CheckPayload(ReadOnlySpan<byte> utf8Json)
    {
        if (!System.Text.Unicode.Utf8.IsValid(utf8Json))
        {
            throw new ArgumentException($"The payload ({utf8Json.Length} bytes) is not valid UTF-8; a result must be a UTF-8 JSON object.", nameof(utf8Json));
        }

        if (utf8Json.IsEmpty)
        {
            throw new ArgumentException("The payload is empty; a result must be a JSON object.", nameof(utf8Json));
        }

        var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { MaxDepth = 63 });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new ArgumentException($"The payload ({utf8Json.Length} bytes) starts with a {reader.TokenType}; a result must be a JSON object.", nameof(utf8Json));
            }

            reader.Skip();
            // Anything but whitespace after the object makes Read throw: a reader takes one JSON value.
            _ = reader.Read();
        }
        catch (JsonException ex)
        {
            throw new ArgumentException($"The payload ({utf8Json.Length} bytes) is not valid JSON: {ex.Message}", nameof(utf8Json), ex);
        }
    }

    private bool TryEnqueue(string agent, string kind, JsonElement payload) => TryEnqueue(CreateEntry(agent, kind, payload));

    private bool TryEnqueue(OutboxEntry entry)
    {
        if (_queue.Writer.TryWrite(entry))
        {
            Interlocked.Increment(ref _accepted);
            return true;
        }

        Interlocked.Increment(ref _rejected);
        return false;
    }

    private OutboxEntry CreateEntry(string agent, string kind, JsonElement payload)
    {
        ArgumentNullException.ThrowIfNull(agent);
        ArgumentNullException.ThrowIfNull(kind);
        var topic = _topicCache.TryGetValue((agent, kind), out var cached)
            ? cached
            : _topicCache.GetOrAdd((agent, kind), Topics.ResultTopic(agent, kind));
        return new OutboxEntry(topic, agent, kind, _time.GetUtcNow().UtcDateTime, payload);
    }

    private bool IsIdle() =>
        _queue.Reader.Count == 0 && Volatile.Read(ref _ingesting) == 0 && (_outbox?.Count ?? 0) == 0;

    private void SignalIfDrained()
    {
        lock (_drainGate)
        {
            if (IsIdle() && _drained.Task.IsCompleted is false)
            {
                _drained.TrySetResult();
                _drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    private async Task IngestLoopAsync()
    {
        var batch = new List<OutboxEntry>(IngestBatch);
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            Interlocked.Increment(ref _ingesting);
            try
            {
                batch.Clear();
                while (batch.Count < IngestBatch && reader.TryRead(out var entry))
                {
                    batch.Add(entry);
                }

                try
                {
                    _outbox!.AppendBatch(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(batch));
                    Interlocked.Add(ref _stored, batch.Count);
                }
                // Disk full, I/O error, or a bug: the batch is lost and counted, the loop goes on.
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    Interlocked.Add(ref _storeFailed, batch.Count);
                    _lastError = ex.Message;
                    LogStoreFailed(_logger, batch.Count, ex);
                }
            }
            finally
            {
                ReturnPayloadBuffers(batch);
                Interlocked.Decrement(ref _ingesting);
            }

            _wake.Writer.TryWrite(true);
        }
    }

    private void ReturnPayloadBuffers(List<OutboxEntry> batch)
    {
        foreach (var entry in batch)
        {
            if (entry.Utf8Payload is { } rented)
            {
                _payloadPool!.Return(rented);
            }
        }
    }

    private async Task SendLoopAsync()
    {
        var stop = _stop.Token;
        var acknowledged = new List<long>(SendBatch);
        try
        {
            await SendUntilStoppedAsync(acknowledged, stop).ConfigureAwait(false);
        }
        finally
        {
            await AbandonInFlightAsync([], cancel: true).ConfigureAwait(false);
        }
    }

    private async Task SendUntilStoppedAsync(List<long> acknowledged, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await SendOnceAsync(acknowledged, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }

            // The send loop is the publisher's lifeline: log any surprise, back off and go on.
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                _connected = false;
                _lastError = $"Unexpected error in the send loop: {ex.GetType().Name}: {ex.Message}";
                LogUnexpected(_logger, ex);
                try
                {
                    await Task.Delay(NextBackoff(), _time, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    // MQTTnet's own timeout does not cover every wait: with a silent (black-holed) connection a PUBACK wait was
    // seen to outlive the keep-alive disconnect. Every network await also carries this hard limit (real time:
    // it guards against the network, not a schedule).
    private TimeSpan GuardTimeout => _options.OperationTimeout + TimeSpan.FromSeconds(1);

    private CancellationTokenSource Guard(CancellationToken token)
    {
        var guard = CancellationTokenSource.CreateLinkedTokenSource(token);
        guard.CancelAfter(GuardTimeout);
        return guard;
    }

    /// <summary>The next reconnect delay; the attempt count resets only once messages flow (or there are none).</summary>
    private TimeSpan NextBackoff()
    {
        var delay = _backoff.Delay(_attempt);
        _attempt = Math.Min(_attempt + 1, 30);
        return delay;
    }

    /// <summary>One step of the send loop: connect if needed, else send one batch or wait for work.</summary>
    private async Task SendOnceAsync(List<long> acknowledged, CancellationToken stop)
    {
        if (!_connected)
        {
            await AbandonInFlightAsync(acknowledged, cancel: true).ConfigureAwait(false);
            if (!await TryConnectAsync(stop).ConfigureAwait(false))
            {
                await Task.Delay(NextBackoff(), _time, stop).ConfigureAwait(false);
            }

            return;
        }

        if (_rebirthRequested)
        {
            await RebirthAsync(stop).ConfigureAwait(false);
            return;
        }

        IReadOnlyList<OutboxMessage> batch;
        try
        {
            // After the last message started: those in flight are not read again.
            batch = _outbox!.Peek(SendBatch, _cursor);
        }
        catch (OutboxException ex)
        {
            _lastError = ex.Message;
            LogOutboxReadFailed(_logger, ex);
            await Task.Delay(_options.BackoffMax, _time, stop).ConfigureAwait(false);
            return;
        }

        if (batch.Count == 0 && _inFlight.Count == 0)
        {
            if (_toDelete.Count > 0)
            {
                DeleteAcknowledged();
                return;
            }

            _attempt = 0;
            SignalIfDrained();
            await WaitForWorkAsync(stop).ConfigureAwait(false);
            return;
        }

        acknowledged.Clear();
        var deferred = false;
        var failed = false;
        var progressed = false;
        _sending ??= CancellationTokenSource.CreateLinkedTokenSource(stop);
        try
        {
            // Up to _window publishes are in flight, also across batches: draining the window at every batch end
            // left the last PUBACK waiting in the broker's Nagle buffer for the client's delayed ACK (measured:
            // ~30 ms per batch, a window of 16 three times slower than one in flight). MQTTnet queues each PUBLISH
            // for the socket, in call order, before PublishAsync returns (its send lock is FIFO), so messages leave
            // in outbox order; results are taken oldest first, and a message is deleted only after its own PUBACK.
            foreach (var message in batch)
            {
                while (_inFlight.Count >= _window && !deferred)
                {
                    deferred = !await CompleteOldestAsync(acknowledged, stop).ConfigureAwait(false);
                }

                if (deferred)
                {
                    break;
                }

                StartPublish(message, acknowledged, _sending.Token);
                _cursor = message.Id;
            }

            // Nothing new to send: collect the tail.
            while (batch.Count == 0 && _inFlight.Count > 0 && !deferred)
            {
                deferred = !await CompleteOldestAsync(acknowledged, stop).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            failed = true;
            throw;
        }
        catch (Exception ex) when (ex is MqttCommunicationException or IOException or SocketException or OperationCanceledException or TimeoutException or ObjectDisposedException)
        {
            _connected = false;
            failed = true;
            _lastError = $"Publishing to {_options.Host}:{_options.Port} failed: {ex.Message}";
            LogPublishFailed(_logger, ex.Message);
        }
        finally
        {
            progressed = acknowledged.Count > 0;
            if (progressed)
            {
                _attempt = 0;
            }

            _toDelete.AddRange(acknowledged);
            if (deferred || failed)
            {
                // Deferred: collect what is in flight; failed: cancel it. Then start again from the oldest row still
                // stored, which is exactly what was not acknowledged.
                await AbandonInFlightAsync(acknowledged, cancel: failed).ConfigureAwait(false);
            }
            else if (_toDelete.Count >= DeleteBatch || Volatile.Read(ref _state) == 2)
            {
                DeleteAcknowledged();
            }
        }

        // A broker that accepts the connection but drops it on every publish (an ACL that denies the
        // topic, for one) must not turn into a reconnect storm: back off unless something got through.
        if (deferred || (failed && !progressed))
        {
            await Task.Delay(NextBackoff(), _time, stop).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Ends the current run of publishes: those still in flight are cancelled (<paramref name="cancel"/>) or awaited
    /// (bounded); whatever was acknowledged meanwhile is deleted with the rest, and the next read starts again from the
    /// oldest stored message.
    /// </summary>
    private async Task AbandonInFlightAsync(List<long> acknowledged, bool cancel)
    {
        var sending = _sending;
        _sending = null;
        if (sending is not null)
        {
            if (cancel)
            {
                await sending.CancelAsync().ConfigureAwait(false);
            }

            acknowledged.Clear();
            while (_inFlight.TryDequeue(out var entry))
            {
                try
                {
                    var result = await entry.Publish.WaitAsync(GuardTimeout, CancellationToken.None).ConfigureAwait(false);
                    Record(entry.Message, result, acknowledged);
                }
                // Failed with the connection: the message stays in the outbox and is sent again.
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    _lastError ??= ex.Message;
                }
            }

            _toDelete.AddRange(acknowledged);
            sending.Dispose();
        }

        DeleteAcknowledged();
        _cursor = 0;
    }

    /// <summary>Starts publishing one stored message (in Sparkplug B: after the DBIRTH it may need).</summary>
    private void StartPublish(OutboxMessage message, List<long> acknowledged, CancellationToken token)
    {
        var client = _client!;
        if (_sparkplug is null)
        {
            _inFlight.Enqueue(new InFlight(message, client.PublishAsync(ResultMessage(message.Topic, message.Payload), token)));
            return;
        }

        _encoded.Clear();
        if (!_sparkplug.TryEncode(message, _encoded))
        {
            // Only a damaged row gets here (the outbox stores envelopes it wrote itself); it could never be sent.
            acknowledged.Add(message.Id);
            Interlocked.Increment(ref _refused);
            LogUnencodable(_logger, message.MessageId);
            return;
        }

        foreach (var encoded in _encoded)
        {
            // Births ride along at QoS 0 (Sparkplug); their loss means the connection is gone and the next one births again.
            var isData = encoded.MessageType == "DDATA";
            var publish = client.PublishAsync(SparkplugMessage(encoded, isData ? MqttQualityOfServiceLevel.AtLeastOnce : MqttQualityOfServiceLevel.AtMostOnce), token);
            _inFlight.Enqueue(new InFlight(isData ? message : null, publish));
        }
    }

    /// <summary>Waits for the oldest publish in flight and records its outcome.</summary>
    /// <returns><see langword="false"/> when the broker deferred the message (retry later, after a backoff).</returns>
    private async Task<bool> CompleteOldestAsync(List<long> acknowledged, CancellationToken stop)
    {
        var oldest = _inFlight.Peek();
        var result = await oldest.Publish.WaitAsync(GuardTimeout, stop).ConfigureAwait(false);
        _inFlight.Dequeue();
        return Record(oldest.Message, result, acknowledged);
    }

    /// <returns><see langword="false"/> when the broker deferred the message.</returns>
    private bool Record(OutboxMessage? message, MqttClientPublishResult result, List<long> acknowledged)
    {
        if (message is null)
        {
            return true; // a QoS 0 birth: written is all there is
        }

        // MQTT 5 reason codes below 0x80 are successes (0x10: accepted, no subscriber yet).
        if ((int)result.ReasonCode < 0x80)
        {
            acknowledged.Add(message.Id);
            return true;
        }

        if (result.ReasonCode is MqttClientPublishReasonCode.QuotaExceeded or MqttClientPublishReasonCode.PacketIdentifierInUse or MqttClientPublishReasonCode.UnspecifiedError)
        {
            _lastError = $"The broker deferred message {message.MessageId} on '{message.Topic}': {result.ReasonCode} {result.ReasonString}";
            return false;
        }

        // A permanent refusal (not authorized, invalid topic or payload) would block the queue forever.
        acknowledged.Add(message.Id);
        Interlocked.Increment(ref _refused);
        _lastError = $"The broker refused message {message.MessageId} on '{message.Topic}': {result.ReasonCode} {result.ReasonString}";
        LogRefused(_logger, message.MessageId, message.Topic, result.ReasonCode.ToString(), result.ReasonString);
        return true;
    }

    private void DeleteAcknowledged()
    {
        if (_toDelete.Count == 0)
        {
            return;
        }

        try
        {
            _outbox!.Remove(_toDelete);
            Interlocked.Add(ref _published, _toDelete.Count);
            _toDelete.Clear();
        }
        catch (OutboxException ex)
        {
            // They stay and are sent again with the same message ids: duplicates, not losses.
            _lastError = ex.Message;
            LogOutboxReadFailed(_logger, ex);
        }
    }

    private async Task WaitForWorkAsync(CancellationToken stop)
    {
        if (!await _wake.Reader.WaitToReadAsync(stop).ConfigureAwait(false))
        {
            return;
        }

        _wake.Reader.TryRead(out _);
    }

    private async Task<bool> TryConnectAsync(CancellationToken stop)
    {
        MqttProtocolVersion[] versions = _options.ProtocolVersion switch
        {
            MqttProtocol.V500 => [MqttProtocolVersion.V500],
            MqttProtocol.V311 => [MqttProtocolVersion.V311],
            _ => [MqttProtocolVersion.V500, MqttProtocolVersion.V311],
        };

        foreach (var version in versions)
        {
            ReplaceClient();
            var client = _client!;
            _tls?.ClearFailure();
            try
            {
                using var guard = Guard(stop);
                // Sparkplug: every CONNECT carries a new bdSeq in its will (NDEATH).
                var will = _sparkplug?.BeginSession();
                var result = await client.ConnectAsync(BuildClientOptions(version, will), guard.Token).WaitAsync(guard.Token).ConfigureAwait(false);
                if (result.ResultCode == MqttClientConnectResultCode.Success)
                {
                    _negotiated = version == MqttProtocolVersion.V500 ? MqttProtocol.V500 : MqttProtocol.V311;
                    // An MQTT 5 broker may take fewer unacknowledged QoS 1 messages (Receive Maximum; 0 = not sent = 65,535).
                    _window = _negotiated == MqttProtocol.V500 && result.ReceiveMaximum > 0
                        ? Math.Min(_options.MaxInFlight, (int)result.ReceiveMaximum)
                        : _options.MaxInFlight;
                    guard.CancelAfter(GuardTimeout);
                    if (_sparkplug is null)
                    {
                        await client.PublishAsync(StatusMessage(OnlinePayload), guard.Token).WaitAsync(guard.Token).ConfigureAwait(false);
                    }
                    else
                    {
                        await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(_sparkplug.CommandTopic, MqttQualityOfServiceLevel.AtLeastOnce).Build(), guard.Token)
                            .WaitAsync(guard.Token).ConfigureAwait(false);
                        _rebirthRequested = false;
                        await PublishBirthsAsync(client, guard).ConfigureAwait(false);
                    }

                    _connected = true;
                    _lastError = null;
                    Interlocked.Increment(ref _connections);
                    _lastLoggedFailure = null;
                    LogConnected(_logger, _options.Host, _options.Port, _negotiated.Value.ToString(), _outbox?.Count ?? 0);
                    return true;
                }

                _lastError = $"The broker at {_options.Host}:{_options.Port} refused the MQTT {(version == MqttProtocolVersion.V500 ? "5.0" : "3.1.1")} connection: {result.ResultCode} {result.ReasonString}";
                // A 5.0 broker answers 0x84; a 3.1.1-only broker answers with its own CONNACK, return code 1
                // ("unacceptable protocol version"), which a 5.0 parser reads as reason code 1.
                if (result.ResultCode == MqttClientConnectResultCode.UnsupportedProtocolVersion || (int)result.ResultCode == 1)
                {
                    continue;
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                throw;
            }
            // Whatever a broker (or something that is not one) does must not end the loop.
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                _lastError = DescribeConnectFailure(ex);
                if (version == MqttProtocolVersion.V500 && versions.Length > 1 && IsProtocolLevelFailure(ex))
                {
                    continue;
                }
            }

            break;
        }

        Interlocked.Increment(ref _connectFailures);
        // A broker that stays away would otherwise log a warning per attempt: warn when the reason changes,
        // repeat it at debug level.
        var reason = _lastError ?? $"Connecting to {_options.Host}:{_options.Port} failed";
        if (!string.Equals(reason, _lastLoggedFailure, StringComparison.Ordinal))
        {
            _lastLoggedFailure = reason;
            LogConnectFailed(_logger, reason);
        }
        else
        {
            LogConnectFailedAgain(_logger, reason);
        }
        return false;
    }

    /// <summary>Sparkplug B: NBIRTH and the DBIRTHs of every agent seen so far, at QoS 0, in order.</summary>
    private async Task PublishBirthsAsync(IMqttClient client, CancellationTokenSource guard)
    {
        _encoded.Clear();
        _sparkplug!.Births(_encoded);
        foreach (var birth in _encoded)
        {
            guard.CancelAfter(GuardTimeout);
            await client.PublishAsync(SparkplugMessage(birth, MqttQualityOfServiceLevel.AtMostOnce), guard.Token).WaitAsync(guard.Token).ConfigureAwait(false);
        }

        LogBirth(_logger, _sparkplug.BdSeq, _encoded.Count - 1);
    }

    /// <summary>Sparkplug B: a host asked for a rebirth (NCMD <c>Node Control/Rebirth</c>): NBIRTH with the same bdSeq, seq from 0, and DBIRTHs.</summary>
    private async Task RebirthAsync(CancellationToken stop)
    {
        _rebirthRequested = false;
        using var guard = Guard(stop);
        try
        {
            await PublishBirthsAsync(_client!, guard).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ex is MqttCommunicationException or IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The connection is gone; the next one births anyway.
            _connected = false;
            _lastError = $"Publishing to {_options.Host}:{_options.Port} failed: {ex.Message}";
            LogPublishFailed(_logger, ex.Message);
        }
    }

    private Task OnMessageReceivedAsync(MqttApplicationMessageReceivedEventArgs args)
    {
        if (_sparkplug is not null
            && string.Equals(args.ApplicationMessage.Topic, _sparkplug.CommandTopic, StringComparison.Ordinal)
            && SparkplugResultEncoder.IsRebirthRequest(args.ApplicationMessage.Payload))
        {
            LogRebirthRequested(_logger);
            _rebirthRequested = true;
            _wake.Writer.TryWrite(true);
        }

        return Task.CompletedTask;
    }

    private bool IsProtocolLevelFailure(Exception ex)
    {
        // The TCP (and TLS) connection was made but the broker closed it or answered something a 5.0 client
        // cannot read: what a 3.1.1-only broker does with a 5.0 CONNECT. Refused sockets and TLS failures are not.
        if (_tls?.LastFailure is not null)
        {
            return false;
        }

        for (var inner = ex; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException or AuthenticationException or OperationCanceledException)
            {
                return false;
            }
        }

        return true;
    }

    private string DescribeConnectFailure(Exception ex)
    {
        if (_tls?.LastFailure is { } tlsFailure)
        {
            return tlsFailure;
        }

        var root = ex;
        var handshake = false;
        var socketError = false;
        for (var inner = ex; inner is not null; inner = inner.InnerException)
        {
            root = inner;
            handshake |= inner is AuthenticationException;
            socketError |= inner is SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostNotFound or SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.TimedOut or SocketError.TryAgain };
        }

        // A reset (rather than a refused or unreachable socket) means the TCP connection was made.
        var where = $"{_options.Host}:{_options.Port}";
        if (_tls is null || socketError)
        {
            return $"Connecting to {where} failed: {root.Message}";
        }

        // The TCP connection was made and our check of the broker certificate passed, so the broker ended the
        // TLS session: with mutual TLS that is how a missing or untrusted client certificate shows.
        var hint = _tls.ClientCertificate is null
            ? "If the broker requires client certificates (mutual TLS), set ClientCertificateFile and ClientKeyFile."
            : $"If the broker requires client certificates, check that it trusts the issuer of ClientCertificateFile '{_options.ClientCertificateFile}'.";
        return handshake
            ? $"TLS handshake with {where} failed: {root.Message}. {hint}"
            : $"The broker at {where} closed the TLS connection: {root.Message}. {hint}";
    }

    private void ReplaceClient()
    {
        var old = _client;
        if (old is not null)
        {
            old.DisconnectedAsync -= OnDisconnectedAsync;
            old.ApplicationMessageReceivedAsync -= OnMessageReceivedAsync;
            old.Dispose();
        }

        var client = new MqttClientFactory().CreateMqttClient();
        client.DisconnectedAsync += OnDisconnectedAsync;
        client.ApplicationMessageReceivedAsync += OnMessageReceivedAsync;
        _client = client;
    }

    private Task OnDisconnectedAsync(MqttClientDisconnectedEventArgs args)
    {
        if (args.ClientWasConnected)
        {
            _connected = false;
            _lastError = $"Disconnected from {_options.Host}:{_options.Port}: {args.Reason} {args.Exception?.Message}";
            if (Volatile.Read(ref _state) == 2)
            {
                LogDisconnectedOnStop(_logger, args.Reason.ToString());
            }
            else
            {
                LogDisconnected(_logger, args.Reason.ToString());
            }

            _wake.Writer.TryWrite(true);
        }

        return Task.CompletedTask;
    }

    private MqttClientOptions BuildClientOptions(MqttProtocolVersion version, SparkplugMessage? nodeDeath)
    {
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(_options.Host, _options.Port)
            .WithClientId(_options.EffectiveClientId)
            .WithProtocolVersion(version)
            .WithTimeout(_options.OperationTimeout)
            .WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce);

        // JSON: a retained "offline" on the status topic. Sparkplug B: the session's NDEATH, QoS 1, not retained.
        builder = nodeDeath is null
            ? builder.WithWillTopic(Topics.StatusTopic).WithWillPayload(OfflinePayload).WithWillRetain(true)
            : builder.WithWillTopic(nodeDeath.Topic).WithWillPayload(nodeDeath.Payload.ToArray()).WithWillRetain(false);

        builder = _options.KeepAlive == TimeSpan.Zero ? builder.WithNoKeepAlive() : builder.WithKeepAlivePeriod(_options.KeepAlive);
        if (version == MqttProtocolVersion.V500)
        {
            builder = builder.WithCleanStart(_options.CleanSession)
                .WithSessionExpiryInterval(_options.CleanSession ? 0 : (uint)_options.SessionExpiry.TotalSeconds);
        }
        else
        {
            builder = builder.WithCleanSession(_options.CleanSession);
        }

        if (_options.Username is not null)
        {
            builder = builder.WithCredentials(_options.Username, _options.Password);
        }

        if (_tls is not null)
        {
            var tls = new MqttClientTlsOptionsBuilder()
                .UseTls(true)
                .WithTargetHost(_options.Host)
                .WithSslProtocols(SslProtocols.Tls12 | SslProtocols.Tls13)
                .WithRevocationMode(System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck)
                .WithCertificateValidationHandler(e => _tls.ValidateServerCertificate(e.Certificate, e.Chain, e.SslPolicyErrors));
            if (_tls.ClientCertificate is not null)
            {
                tls = tls.WithClientCertificates([_tls.ClientCertificate]);
            }

            builder = builder.WithTlsOptions(tls.Build());
        }

        return builder.Build();
    }

    private MqttApplicationMessage ResultMessage(string topic, ReadOnlyMemory<byte> payload)
    {
        var builder = new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(new System.Buffers.ReadOnlySequence<byte>(payload))
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce);

        // Content type and payload format are MQTT 5 properties; a 3.1.1 connection refuses them.
        return _negotiated == MqttProtocol.V500
            ? builder.WithContentType("application/json").WithPayloadFormatIndicator(MqttPayloadFormatIndicator.CharacterData).Build()
            : builder.Build();
    }

    private static MqttApplicationMessage SparkplugMessage(SparkplugMessage message, MqttQualityOfServiceLevel qos) =>
        new MqttApplicationMessageBuilder()
            .WithTopic(message.Topic)
            .WithPayload(new System.Buffers.ReadOnlySequence<byte>(message.Payload))
            .WithQualityOfServiceLevel(qos)
            .Build();

    private MqttApplicationMessage StatusMessage(string state) =>
        new MqttApplicationMessageBuilder()
            .WithTopic(Topics.StatusTopic)
            .WithPayload(state)
            .WithRetainFlag(true)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .Build();

    /// <summary>A publish on its way: the stored message it delivers (<see langword="null"/> for a Sparkplug birth) and MQTTnet's task.</summary>
    private readonly record struct InFlight(OutboxMessage? Message, Task<MqttClientPublishResult> Publish);

    [LoggerMessage(Level = LogLevel.Information, Message = "Outbox {Path} opened with {Pending} pending message(s); {Dropped} dropped over its life")]
    private static partial void LogOutboxOpened(ILogger logger, string path, long pending, long dropped);

    [LoggerMessage(Level = LogLevel.Information, Message = "Connected to {Host}:{Port} with MQTT {Protocol}; {Pending} message(s) to send")]
    private static partial void LogConnected(ILogger logger, string host, int port, string protocol, long pending);

    // The reason names the broker and what failed ("Connecting to host:port failed: ...", "TLS handshake with ...").
    [LoggerMessage(Level = LogLevel.Warning, Message = "{Reason}; retrying with backoff")]
    private static partial void LogConnectFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Still failing: {Reason}")]
    private static partial void LogConnectFailedAgain(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Disconnected from the broker: {Reason}")]
    private static partial void LogDisconnected(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Disconnected from the broker on shutdown: {Reason}")]
    private static partial void LogDisconnectedOnStop(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sparkplug B session born: bdSeq {BdSeq}, {Devices} device birth(s)")]
    private static partial void LogBirth(ILogger logger, int bdSeq, int devices);

    [LoggerMessage(Level = LogLevel.Information, Message = "A Sparkplug host asked for a rebirth (NCMD Node Control/Rebirth)")]
    private static partial void LogRebirthRequested(ILogger logger);

    [LoggerMessage(Level = LogLevel.Error, Message = "Stored message {MessageId} is not a readable envelope and cannot be encoded as Sparkplug B; deleted")]
    private static partial void LogUnencodable(ILogger logger, string messageId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing failed, will reconnect: {Reason}")]
    private static partial void LogPublishFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Graceful disconnect failed: {Reason}")]
    private static partial void LogDisconnectFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Storing {Count} result(s) in the outbox failed; they are lost")]
    private static partial void LogStoreFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unexpected error in the send loop; backing off")]
    private static partial void LogUnexpected(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Outbox operation failed")]
    private static partial void LogOutboxReadFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "The broker refused message {MessageId} on {Topic}: {ReasonCode} {ReasonString}; deleted")]
    private static partial void LogRefused(ILogger logger, string messageId, string topic, string reasonCode, string? reasonString);
}

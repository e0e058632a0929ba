using EdgeAI.Messaging.Sparkplug.Wire;
using Google.Protobuf;

namespace EdgeAI.Messaging;

/// <summary>
/// The state of one Sparkplug B edge node (an EdgeAI device) and the encoder of its messages:
/// <c>spBv1.0/{group}/{NBIRTH|NDEATH|DBIRTH|DDATA|DDEATH}/{edgeNode}[/{device}]</c>.
/// </summary>
/// <remarks>
/// <para>
/// Per connection: call <see cref="BeginSession"/> before connecting and register the NDEATH it returns as the MQTT
/// will (QoS 1, not retained); after the connect publish <see cref="NodeBirth"/> first, then
/// <see cref="DeviceBirth"/> for each device (in EdgeAI: each agent) before its <see cref="DeviceData(string, IEnumerable{SparkplugMetric})"/>.
/// NBIRTH carries <c>seq</c> 0; every later message of the session carries the next value, wrapping from 255 to 0.
/// <c>bdSeq</c> (birth/death sequence, 0..255) advances with every session and appears as the <c>bdSeq</c> Int64
/// metric in both the NBIRTH and the NDEATH of a session, so a host can tell a stale NDEATH from the current one.
/// Also carried in NBIRTH: the <c>Node Control/Rebirth</c> boolean (false), which the specification requires.
/// </para>
/// <para>Thread-safe. Timestamps are milliseconds since the Unix epoch from the injected <see cref="TimeProvider"/>.</para>
/// </remarks>
public sealed class SparkplugNode
{
    /// <summary>The Sparkplug B topic namespace.</summary>
    public const string TopicNamespace = "spBv1.0";

    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly HashSet<string> _bornDevices = new(StringComparer.Ordinal);
    private int _bdSeq = -1;
    private int _nextSeq;
    private bool _nodeBorn;

    /// <summary>Creates the node state.</summary>
    /// <param name="groupId">Sparkplug group id (e.g. the site): one topic level.</param>
    /// <param name="edgeNodeId">Edge node id (the device): one topic level.</param>
    /// <param name="timeProvider">Clock for payload timestamps; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">An id is not a valid topic level.</exception>
    public SparkplugNode(string groupId, string edgeNodeId, TimeProvider? timeProvider = null)
    {
        TopicScheme.ValidateLevel(groupId, nameof(groupId));
        TopicScheme.ValidateLevel(edgeNodeId, nameof(edgeNodeId));
        GroupId = groupId;
        EdgeNodeId = edgeNodeId;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The group id.</summary>
    public string GroupId { get; }

    /// <summary>The edge node id.</summary>
    public string EdgeNodeId { get; }

    /// <summary>The current session's bdSeq (0..255); -1 before the first <see cref="BeginSession"/>.</summary>
    public int BdSeq
    {
        get
        {
            lock (_gate)
            {
                return _bdSeq;
            }
        }
    }

    /// <summary>Starts a new session: advances bdSeq (the first session is 0) and returns its NDEATH for the MQTT will.</summary>
    /// <returns>The NDEATH message of the new session.</returns>
    public SparkplugMessage BeginSession()
    {
        lock (_gate)
        {
            _bdSeq = (_bdSeq + 1) & 0xFF;
            _nextSeq = 0;
            _nodeBorn = false;
            _bornDevices.Clear();
            return NodeDeathLocked();
        }
    }

    /// <summary>The current session's NDEATH, to publish before a clean disconnect (the will covers unclean ones).</summary>
    /// <returns>The NDEATH message.</returns>
    /// <exception cref="InvalidOperationException">No session was begun.</exception>
    public SparkplugMessage NodeDeath()
    {
        lock (_gate)
        {
            RequireSession();
            return NodeDeathLocked();
        }
    }

    /// <summary>The NBIRTH: the node's metrics plus <c>bdSeq</c> and <c>Node Control/Rebirth</c>; seq 0.</summary>
    /// <param name="metrics">Node-level metrics (may be empty).</param>
    /// <returns>The NBIRTH message.</returns>
    /// <exception cref="InvalidOperationException">No session was begun.</exception>
    public SparkplugMessage NodeBirth(IEnumerable<SparkplugMetric> metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        lock (_gate)
        {
            RequireSession();
            _nextSeq = 0;
            _nodeBorn = true;
            _bornDevices.Clear();
            IEnumerable<SparkplugMetric> all = [SparkplugMetric.Int64("bdSeq", _bdSeq), SparkplugMetric.Boolean("Node Control/Rebirth", false), .. metrics];
            return Encode("NBIRTH", null, all, withSeq: true);
        }
    }

    /// <summary>A DBIRTH announcing a device (in EdgeAI: an agent) and all its metrics.</summary>
    /// <param name="deviceId">Device id: one topic level.</param>
    /// <param name="metrics">Every metric the device will report.</param>
    /// <returns>The DBIRTH message.</returns>
    /// <exception cref="InvalidOperationException">The node has not been born in this session.</exception>
    public SparkplugMessage DeviceBirth(string deviceId, IEnumerable<SparkplugMetric> metrics)
    {
        TopicScheme.ValidateLevel(deviceId, nameof(deviceId));
        ArgumentNullException.ThrowIfNull(metrics);
        lock (_gate)
        {
            RequireNodeBirth();
            _bornDevices.Add(deviceId);
            return Encode("DBIRTH", deviceId, metrics, withSeq: true);
        }
    }

    /// <summary>A DDATA with changed metric values of a born device.</summary>
    /// <param name="deviceId">Device id.</param>
    /// <param name="metrics">The metrics that changed.</param>
    /// <returns>The DDATA message.</returns>
    /// <exception cref="InvalidOperationException">The device has not been born in this session.</exception>
    public SparkplugMessage DeviceData(string deviceId, IEnumerable<SparkplugMetric> metrics) => DeviceData(deviceId, metrics, sampledAt: null);

    /// <summary>A DDATA whose metrics carry <paramref name="sampledAt"/> as their timestamp (the payload keeps the send time).</summary>
    internal SparkplugMessage DeviceData(string deviceId, IEnumerable<SparkplugMetric> metrics, DateTimeOffset? sampledAt)
    {
        TopicScheme.ValidateLevel(deviceId, nameof(deviceId));
        ArgumentNullException.ThrowIfNull(metrics);
        lock (_gate)
        {
            RequireNodeBirth();
            if (!_bornDevices.Contains(deviceId))
            {
                throw new InvalidOperationException($"Device '{deviceId}' has no DBIRTH in this session; Sparkplug hosts ignore DDATA before DBIRTH.");
            }

            return Encode("DDATA", deviceId, metrics, withSeq: true, sampledAt);
        }
    }

    /// <summary>A DDEATH: the device went away (the node stays).</summary>
    /// <param name="deviceId">Device id.</param>
    /// <returns>The DDEATH message.</returns>
    /// <exception cref="InvalidOperationException">The node has not been born in this session.</exception>
    public SparkplugMessage DeviceDeath(string deviceId)
    {
        TopicScheme.ValidateLevel(deviceId, nameof(deviceId));
        lock (_gate)
        {
            RequireNodeBirth();
            _bornDevices.Remove(deviceId);
            return Encode("DDEATH", deviceId, [], withSeq: true);
        }
    }

    private SparkplugMessage NodeDeathLocked() => Encode("NDEATH", null, [SparkplugMetric.Int64("bdSeq", _bdSeq)], withSeq: false);

    private void RequireSession()
    {
        if (_bdSeq < 0)
        {
            throw new InvalidOperationException("Call BeginSession before connecting: it sets bdSeq and gives the NDEATH for the will.");
        }
    }

    private void RequireNodeBirth()
    {
        RequireSession();
        if (!_nodeBorn)
        {
            throw new InvalidOperationException("Publish NodeBirth first: NBIRTH must be the first message of a session.");
        }
    }

    private SparkplugMessage Encode(string messageType, string? deviceId, IEnumerable<SparkplugMetric> metrics, bool withSeq, DateTimeOffset? sampledAt = null)
    {
        var now = (ulong)_time.GetUtcNow().ToUnixTimeMilliseconds();
        var metricTime = sampledAt is { } at && at >= DateTimeOffset.UnixEpoch ? (ulong)at.ToUnixTimeMilliseconds() : now;
        var payload = new SpbPayload { Timestamp = now };
        foreach (var metric in metrics)
        {
            payload.Metrics.Add(metric.ToWire(metricTime));
        }

        int? seq = null;
        if (withSeq)
        {
            seq = _nextSeq;
            payload.Seq = (ulong)_nextSeq;
            _nextSeq = (_nextSeq + 1) & 0xFF;
        }

        var topic = deviceId is null
            ? $"{TopicNamespace}/{GroupId}/{messageType}/{EdgeNodeId}"
            : $"{TopicNamespace}/{GroupId}/{messageType}/{EdgeNodeId}/{deviceId}";
        return new SparkplugMessage(topic, messageType, seq, payload.ToByteArray());
    }
}

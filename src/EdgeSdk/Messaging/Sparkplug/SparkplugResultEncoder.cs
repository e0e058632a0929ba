using System.Text.Json;
using EdgeAI.Messaging.Sparkplug.Wire;
using Google.Protobuf;

namespace EdgeAI.Messaging;

/// <summary>
/// Turns stored results (JSON envelopes from the outbox) into Sparkplug B messages at send time, so <c>seq</c> and
/// the NBIRTH/DBIRTH sequence follow the connection, not the moment a result was stored.
/// </summary>
/// <remarks>
/// <para>
/// Mapping: group = site, edge node = device, Sparkplug device = agent. A result becomes one DDATA with the metrics
/// <c>messageId</c> (String), <c>seq</c> (Int64: the envelope's per-agent sequence), <c>kind</c> (String) and the
/// payload's members under the folder <c>{kind}/</c>: JSON numbers as Double, booleans as Boolean, strings as
/// String, nested objects as sub-folders, arrays as String holding their JSON text, null as a null metric. Metric
/// timestamps are the result's timestamp; the payload timestamp is the send time.
/// </para>
/// <para>
/// Each agent's metric catalog (names and types) is kept for the process's life. A DBIRTH listing the catalog (all
/// values null) precedes an agent's first DDATA of a session, and is sent again whenever a result brings a metric
/// the catalog lacks or changes a metric's type, so a host never sees a DDATA metric its DBIRTH did not announce.
/// </para>
/// <para>Not thread-safe: the publisher's send loop is its only user.</para>
/// </remarks>
internal sealed class SparkplugResultEncoder
{
    /// <summary>Metric name of the node control that asks for a rebirth (Sparkplug 3.0).</summary>
    public const string RebirthMetric = "Node Control/Rebirth";

    private readonly SparkplugNode _node;
    private readonly Dictionary<string, MetricCatalog> _catalogs = new(StringComparer.Ordinal);
    private readonly List<string> _agents = [];
    private readonly HashSet<string> _born = new(StringComparer.Ordinal);
    private readonly List<SparkplugMetric> _metrics = [];

    public SparkplugResultEncoder(string groupId, string edgeNodeId, TimeProvider timeProvider)
    {
        _node = new SparkplugNode(groupId, edgeNodeId, timeProvider);
        CommandTopic = $"{SparkplugNode.TopicNamespace}/{groupId}/NCMD/{edgeNodeId}";
    }

    /// <summary>The topic on which a host sends node commands (rebirth requests).</summary>
    public string CommandTopic { get; }

    /// <summary>The current session's bdSeq.</summary>
    public int BdSeq => _node.BdSeq;

    /// <summary>Starts the state for a new MQTT CONNECT: advances bdSeq and returns the NDEATH for its will.</summary>
    public SparkplugMessage BeginSession()
    {
        _born.Clear();
        return _node.BeginSession();
    }

    /// <summary>The session's NDEATH, published before a clean disconnect.</summary>
    public SparkplugMessage NodeDeath() => _node.NodeDeath();

    /// <summary>
    /// NBIRTH (seq 0) and a DBIRTH for every agent seen so far: after a connect, and again when a host asks for a
    /// rebirth (same bdSeq, seq restarts).
    /// </summary>
    public void Births(List<SparkplugMessage> output)
    {
        output.Add(_node.NodeBirth([]));
        _born.Clear();
        foreach (var agent in _agents)
        {
            output.Add(DeviceBirth(agent, _catalogs[agent]));
        }
    }

    /// <summary>Encodes one stored result: a DBIRTH first when needed, then its DDATA.</summary>
    /// <returns><see langword="false"/> when the stored bytes are not a valid envelope (nothing is added).</returns>
    public bool TryEncode(OutboxMessage message, List<SparkplugMessage> output)
    {
        if (!MessageEnvelope.TryParse(message.Payload.Span, out var envelope))
        {
            return false;
        }

        if (!_catalogs.TryGetValue(envelope.Agent, out var catalog))
        {
            catalog = new MetricCatalog();
            _catalogs.Add(envelope.Agent, catalog);
            _agents.Add(envelope.Agent);
        }

        _metrics.Clear();
        _metrics.Add(SparkplugMetric.String("messageId", envelope.MessageId));
        _metrics.Add(SparkplugMetric.Int64("seq", envelope.Seq));
        _metrics.Add(SparkplugMetric.String("kind", envelope.Kind));
        Flatten(envelope.Payload, envelope.Kind + "/", catalog);

        var changed = false;
        foreach (var metric in _metrics)
        {
            changed |= catalog.Learn(metric);
        }

        if (changed || !_born.Contains(envelope.Agent))
        {
            output.Add(DeviceBirth(envelope.Agent, catalog));
        }

        output.Add(_node.DeviceData(envelope.Agent, _metrics, new DateTimeOffset(envelope.Timestamp)));
        return true;
    }

    /// <summary>Whether a node command payload asks for a rebirth. Never throws on bad input.</summary>
    public static bool IsRebirthRequest(in System.Buffers.ReadOnlySequence<byte> payload)
    {
        try
        {
            var command = SpbPayload.Parser.ParseFrom(payload);
            return command.Metrics.Any(m => m.Name == RebirthMetric && m.ValueCase == SpbPayload.Types.SpbMetric.ValueOneofCase.BooleanValue && m.BooleanValue);
        }
        catch (InvalidProtocolBufferException)
        {
            return false;
        }
    }

    private SparkplugMessage DeviceBirth(string agent, MetricCatalog catalog)
    {
        _born.Add(agent);
        return _node.DeviceBirth(agent, catalog.Nulls());
    }

    private void Flatten(JsonElement value, string prefix, MetricCatalog catalog)
    {
        foreach (var member in value.EnumerateObject())
        {
            var name = prefix + member.Name;
            var v = member.Value;
            switch (v.ValueKind)
            {
                case JsonValueKind.Object:
                    Flatten(v, name + "/", catalog);
                    break;
                case JsonValueKind.Number:
                    _metrics.Add(SparkplugMetric.Double(name, v.GetDouble()));
                    break;
                case JsonValueKind.True or JsonValueKind.False:
                    _metrics.Add(SparkplugMetric.Boolean(name, v.GetBoolean()));
                    break;
                case JsonValueKind.String:
                    _metrics.Add(SparkplugMetric.String(name, v.GetString()!));
                    break;
                case JsonValueKind.Array:
                    _metrics.Add(SparkplugMetric.String(name, v.GetRawText()));
                    break;
                default:
                    // A null keeps the type the metric was born with; a never-seen one is announced as String.
                    _metrics.Add(SparkplugMetric.Null(name, catalog.TypeOf(name) ?? SparkplugDataType.String));
                    break;
            }
        }
    }

    /// <summary>The names and types one agent has reported, in first-seen order.</summary>
    private sealed class MetricCatalog
    {
        private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
        private readonly List<(string Name, SparkplugDataType Type)> _metrics = [];

        public SparkplugDataType? TypeOf(string name) => _index.TryGetValue(name, out var i) ? _metrics[i].Type : null;

        /// <returns>Whether the catalog changed (a new name, or a new type for a known one).</returns>
        public bool Learn(SparkplugMetric metric)
        {
            if (!_index.TryGetValue(metric.Name, out var i))
            {
                _index.Add(metric.Name, _metrics.Count);
                _metrics.Add((metric.Name, metric.DataType));
                return true;
            }

            if (_metrics[i].Type == metric.DataType)
            {
                return false;
            }

            _metrics[i] = (metric.Name, metric.DataType);
            return true;
        }

        public IEnumerable<SparkplugMetric> Nulls() => _metrics.Select(m => SparkplugMetric.Null(m.Name, m.Type));
    }
}

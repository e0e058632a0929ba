namespace EdgeAI.Messaging;

/// <summary>A snapshot of a <see cref="MqttPublisher"/>'s counters since it was created (outbox counters: over the file's life).</summary>
public sealed record MqttPublisherStatistics
{
    /// <summary>Results accepted into the in-memory queue.</summary>
    public long Accepted { get; init; }

    /// <summary>Results refused at once because the in-memory queue was full (never stored).</summary>
    public long Rejected { get; init; }

    /// <summary>Results written to the outbox.</summary>
    public long Stored { get; init; }

    /// <summary>Results lost because the outbox could not be written (disk full, I/O error).</summary>
    public long StoreFailed { get; init; }

    /// <summary>Messages acknowledged by the broker (PUBACK) and deleted from the outbox.</summary>
    public long Published { get; init; }

    /// <summary>Messages the broker refused permanently (MQTT 5 reason code such as NotAuthorized); deleted.</summary>
    public long RefusedByBroker { get; init; }

    /// <summary>Messages waiting in the outbox.</summary>
    public long OutboxPending { get; init; }

    /// <summary>Messages dropped because the outbox was full (persistent counter).</summary>
    public long OutboxDropped { get; init; }

    /// <summary>Unreadable outbox rows deleted (persistent counter).</summary>
    public long OutboxCorrupt { get; init; }

    /// <summary>Successful connections, the first one included.</summary>
    public long Connections { get; init; }

    /// <summary>Failed connection attempts.</summary>
    public long ConnectFailures { get; init; }

    /// <summary>Whether the broker connection is up.</summary>
    public bool IsConnected { get; init; }

    /// <summary>The protocol of the current or last connection; <see langword="null"/> before the first.</summary>
    public MqttProtocol? NegotiatedProtocol { get; init; }

    /// <summary>The last connection or publish error, worded for an operator; <see langword="null"/> when none.</summary>
    public string? LastError { get; init; }
}

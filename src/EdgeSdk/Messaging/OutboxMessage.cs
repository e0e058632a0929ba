namespace EdgeAI.Messaging;

/// <summary>A message waiting in the <see cref="SqliteOutbox"/>: the serialized envelope and where it goes.</summary>
/// <param name="Id">Row id: strictly increasing in insertion order, never reused. Pass it to <see cref="SqliteOutbox.Remove"/>.</param>
/// <param name="MessageId">The envelope's unique message id.</param>
/// <param name="Agent">The agent that produced the result.</param>
/// <param name="Seq">The envelope's per-agent sequence number.</param>
/// <param name="Topic">The MQTT topic to publish on.</param>
/// <param name="Payload">The UTF-8 JSON envelope (<see cref="MessageEnvelope"/>).</param>
public sealed record OutboxMessage(long Id, string MessageId, string Agent, long Seq, string Topic, ReadOnlyMemory<byte> Payload);

namespace EdgeAI.Messaging;

/// <summary>An encoded Sparkplug B message ready to publish.</summary>
/// <param name="Topic">The Sparkplug topic, e.g. <c>spBv1.0/plant-7/DDATA/gw-1/cam-03</c>.</param>
/// <param name="MessageType">NBIRTH, NDEATH, DBIRTH, DDATA or DDEATH.</param>
/// <param name="Seq">The payload's sequence number (0..255); <see langword="null"/> for NDEATH, which carries none.</param>
/// <param name="Payload">The protobuf payload.</param>
public sealed record SparkplugMessage(string Topic, string MessageType, int? Seq, ReadOnlyMemory<byte> Payload);

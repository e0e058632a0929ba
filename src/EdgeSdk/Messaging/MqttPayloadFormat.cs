namespace EdgeAI.Messaging;

/// <summary>How a <see cref="MqttPublisher"/> encodes results on the wire (schemas in <c>docs/messaging.md</c>).</summary>
public enum MqttPayloadFormat
{
    /// <summary>The <see cref="MessageEnvelope"/> as UTF-8 JSON on <c>{prefix}/{site}/{device}/{agent}/{kind}</c>, with a retained status topic.</summary>
    Json = 0,

    /// <summary>
    /// Eclipse Sparkplug B: the device is an edge node (group = site), each agent a Sparkplug device; results are
    /// DDATA messages, the connection's presence is NBIRTH/NDEATH (the last will) instead of the status topic.
    /// </summary>
    Sparkplug = 1,
}

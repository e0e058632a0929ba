namespace EdgeAI.Messaging;

/// <summary>Which MQTT protocol version the publisher speaks.</summary>
public enum MqttProtocol
{
    /// <summary>
    /// Try MQTT 5.0 first; if the broker refuses it (unsupported protocol version, or a protocol error or
    /// closed connection after the TCP/TLS connection was made), fall back to 3.1.1 for that connection.
    /// Every new connection tries 5.0 again, so an upgraded broker is used at its best after the next reconnect.
    /// </summary>
    Auto = 0,

    /// <summary>MQTT 5.0 only.</summary>
    V500 = 1,

    /// <summary>MQTT 3.1.1 only.</summary>
    V311 = 2,
}

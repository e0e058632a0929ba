using System.Text;

namespace EdgeAI.Messaging;

/// <summary>Settings of a <see cref="MqttPublisher"/>. Call <see cref="Validate"/> (the publisher does) before use.</summary>
public sealed class MqttPublisherOptions
{
    /// <summary>Broker host name or IP address. Also the name the broker's TLS certificate must carry.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>Broker TCP port, 1..65535 (default 1883; brokers usually serve TLS on 8883).</summary>
    public int Port { get; set; } = 1883;

    /// <summary>
    /// MQTT client id. When <see langword="null"/>, <c>edgeai-{Site}-{Device}</c>. Must be stable across
    /// restarts for a persistent session (<see cref="CleanSession"/> = <see langword="false"/>).
    /// </summary>
    public string? ClientId { get; set; }

    /// <summary>Site level of the topics (see <see cref="TopicScheme"/>). Required.</summary>
    public string Site { get; set; } = "";

    /// <summary>Device level of the topics and the envelope's <c>device</c> field. Required.</summary>
    public string Device { get; set; } = "";

    /// <summary>First level(s) of every topic (default <c>edgeai</c>).</summary>
    public string TopicPrefix { get; set; } = TopicScheme.DefaultPrefix;

    /// <summary>User name for the broker, if it requires one.</summary>
    public string? Username { get; set; }

    /// <summary>Password for the broker; only valid with <see cref="Username"/>.</summary>
    public string? Password { get; set; }

    /// <summary>
    /// Use TLS. Implied by <see cref="CaFile"/>; without a CA file the operating system's trust store is used.
    /// Certificate errors fail closed: there is no fallback to plain TCP and no "accept any certificate" switch.
    /// </summary>
    public bool UseTls { get; set; }

    /// <summary>PEM file with the CA certificate(s) that must sign the broker's certificate (turns TLS on).</summary>
    public string? CaFile { get; set; }

    /// <summary>PEM file with the client certificate for mutual TLS; needs <see cref="ClientKeyFile"/>.</summary>
    public string? ClientCertificateFile { get; set; }

    /// <summary>PEM file with the client certificate's private key (PKCS#8, PKCS#1 or SEC1, unencrypted).</summary>
    public string? ClientKeyFile { get; set; }

    /// <summary>
    /// Protocol version (default <see cref="MqttProtocol.Auto"/>: 5.0 with fallback to 3.1.1, tried again on every
    /// new connection).
    /// </summary>
    public MqttProtocol ProtocolVersion { get; set; } = MqttProtocol.Auto;

    /// <summary>Wire format of the results (default <see cref="MqttPayloadFormat.Json"/>).</summary>
    public MqttPayloadFormat PayloadFormat { get; set; } = MqttPayloadFormat.Json;

    /// <summary>
    /// Most QoS 1 results sent and not yet acknowledged (PUBACK) at a time, 1..<see cref="MaxInFlightLimit"/>
    /// (default 16). Messages still leave in outbox order and each is deleted only after its PUBACK; an MQTT 5
    /// broker's smaller Receive Maximum lowers it for that connection.
    /// </summary>
    public int MaxInFlight { get; set; } = 16;

    /// <summary>
    /// Start every connection with a clean session (default <see langword="true"/>). With <see langword="false"/>
    /// the broker keeps the session for <see cref="SessionExpiry"/> (MQTT 5) or until it is cleaned (3.1.1).
    /// Results are durable through the outbox either way.
    /// </summary>
    public bool CleanSession { get; set; } = true;

    /// <summary>How long an MQTT 5 broker keeps a persistent session after the connection drops (default 1 hour).</summary>
    public TimeSpan SessionExpiry { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Path of the SQLite outbox file; its directory is created if needed. Required.</summary>
    public string OutboxPath { get; set; } = "";

    /// <summary>
    /// Most messages the outbox holds (default 100,000). When full, the oldest messages are deleted to make
    /// room and counted in <see cref="SqliteOutbox.DroppedCount"/> (persistent).
    /// </summary>
    public int MaxOutboxMessages { get; set; } = 100_000;

    /// <summary>
    /// Capacity of the in-memory hand-over queue between agents and the outbox (default 1,024 results).
    /// When it is full <see cref="MqttPublisher.TryPublish(string, string, System.Text.Json.JsonElement)"/> returns
    /// <see langword="false"/> at once and counts the result as rejected; it never blocks inference.
    /// </summary>
    public int ChannelCapacity { get; set; } = 1024;

    /// <summary>First reconnect delay (default 0.5 s). Delays double per failed attempt up to <see cref="BackoffMax"/>, with jitter.</summary>
    public TimeSpan BackoffMin { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Longest reconnect delay (default 60 s).</summary>
    public TimeSpan BackoffMax { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>MQTT keep-alive period, whole seconds up to 65,535 (default 30 s); <see cref="TimeSpan.Zero"/> disables it.</summary>
    public TimeSpan KeepAlive { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Timeout of one connect, publish or disconnect exchange (default 10 s).</summary>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The largest allowed <see cref="MaxInFlight"/>.</summary>
    public const int MaxInFlightLimit = 1024;

    /// <summary>The client id actually used.</summary>
    public string EffectiveClientId => ClientId ?? $"edgeai-{Site}-{Device}";

    /// <summary>Whether the connection uses TLS.</summary>
    public bool TlsEnabled => UseTls || CaFile is not null || ClientCertificateFile is not null;

    /// <summary>Checks every setting.</summary>
    /// <exception cref="ArgumentException">A setting is missing, out of range or inconsistent; the message names it and says why.</exception>
    /// <exception cref="FileNotFoundException">A configured TLS file does not exist; the message names the setting and the path.</exception>
    public void Validate()
    {
        const string Name = nameof(MqttPublisherOptions);
        if (string.IsNullOrWhiteSpace(Host) || Host.AsSpan().IndexOfAny(" /\0") >= 0)
        {
            throw new ArgumentException($"{Name}.{nameof(Host)} is '{Host}'; expected a host name or IP address.", nameof(Host));
        }

        if (Port is < 1 or > 65535)
        {
            throw new ArgumentException($"{Name}.{nameof(Port)} is {Port}; expected 1..65535.", nameof(Port));
        }

        TopicScheme.ValidateLevel(Site, $"{Name}.{nameof(Site)}");
        TopicScheme.ValidateLevel(Device, $"{Name}.{nameof(Device)}");
        TopicScheme.ValidatePrefix(TopicPrefix, $"{Name}.{nameof(TopicPrefix)}");

        var clientId = EffectiveClientId;
        if (clientId.Length == 0 || clientId.Contains('\0', StringComparison.Ordinal) || Encoding.UTF8.GetByteCount(clientId) > 65535)
        {
            throw new ArgumentException($"{Name}.{nameof(ClientId)} must be 1..65535 bytes of UTF-8 without NUL.", nameof(ClientId));
        }

        if (Password is not null && Username is null)
        {
            throw new ArgumentException($"{Name}.{nameof(Password)} is set without {nameof(Username)}; MQTT sends a password only with a user name.", nameof(Password));
        }

        CheckFile(CaFile, nameof(CaFile));
        CheckFile(ClientCertificateFile, nameof(ClientCertificateFile));
        CheckFile(ClientKeyFile, nameof(ClientKeyFile));
        if ((ClientCertificateFile is null) != (ClientKeyFile is null))
        {
            var missing = ClientCertificateFile is null ? nameof(ClientCertificateFile) : nameof(ClientKeyFile);
            throw new ArgumentException($"{Name}.{missing} is missing; mutual TLS needs both {nameof(ClientCertificateFile)} and {nameof(ClientKeyFile)}.", missing);
        }

        if (!Enum.IsDefined(ProtocolVersion))
        {
            throw new ArgumentException($"{Name}.{nameof(ProtocolVersion)} is {(int)ProtocolVersion}; expected Auto, V500 or V311.", nameof(ProtocolVersion));
        }

        if (!Enum.IsDefined(PayloadFormat))
        {
            throw new ArgumentException($"{Name}.{nameof(PayloadFormat)} is {(int)PayloadFormat}; expected Json or Sparkplug.", nameof(PayloadFormat));
        }

        if (MaxInFlight is < 1 or > MaxInFlightLimit)
        {
            throw new ArgumentException($"{Name}.{nameof(MaxInFlight)} is {MaxInFlight}; expected 1..{MaxInFlightLimit} unacknowledged messages.", nameof(MaxInFlight));
        }

        if (SessionExpiry < TimeSpan.Zero || SessionExpiry.TotalSeconds > uint.MaxValue)
        {
            throw new ArgumentException($"{Name}.{nameof(SessionExpiry)} is {SessionExpiry}; expected 0 to {uint.MaxValue} seconds.", nameof(SessionExpiry));
        }

        if (string.IsNullOrWhiteSpace(OutboxPath))
        {
            throw new ArgumentException($"{Name}.{nameof(OutboxPath)} is empty; expected the path of the SQLite outbox file.", nameof(OutboxPath));
        }

        if (MaxOutboxMessages < 1)
        {
            throw new ArgumentException($"{Name}.{nameof(MaxOutboxMessages)} is {MaxOutboxMessages}; expected a positive message count.", nameof(MaxOutboxMessages));
        }

        if (ChannelCapacity < 1)
        {
            throw new ArgumentException($"{Name}.{nameof(ChannelCapacity)} is {ChannelCapacity}; expected a positive result count.", nameof(ChannelCapacity));
        }

        if (BackoffMin <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{Name}.{nameof(BackoffMin)} is {BackoffMin}; expected a positive delay.", nameof(BackoffMin));
        }

        if (BackoffMax < BackoffMin)
        {
            throw new ArgumentException($"{Name}.{nameof(BackoffMax)} is {BackoffMax}; expected at least {nameof(BackoffMin)} ({BackoffMin}).", nameof(BackoffMax));
        }

        if (KeepAlive < TimeSpan.Zero || KeepAlive.TotalSeconds > ushort.MaxValue)
        {
            throw new ArgumentException($"{Name}.{nameof(KeepAlive)} is {KeepAlive}; expected 0 (off) to {ushort.MaxValue} seconds.", nameof(KeepAlive));
        }

        if (OperationTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{Name}.{nameof(OperationTimeout)} is {OperationTimeout}; expected a positive timeout.", nameof(OperationTimeout));
        }
    }

    private static void CheckFile(string? path, string setting)
    {
        if (path is null)
        {
            return;
        }

        if (string.IsNullOrWhiteSpace(path))
        {
            throw new ArgumentException($"{nameof(MqttPublisherOptions)}.{setting} is blank; leave it null or name a PEM file.", setting);
        }

        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{nameof(MqttPublisherOptions)}.{setting}: file '{path}' does not exist.", path);
        }
    }
}

using System.Text.Json;
using EdgeAI.Messaging;
using EdgeAI.TestSupport;
using static EdgeAI.Sdk.Tests.Messaging.MessagingTestHelpers;

namespace EdgeAI.Sdk.Tests.Messaging;

public sealed class MqttPublisherTlsTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _pki = new();
    private readonly TestCertificates _certs;

    public MqttPublisherTlsTests()
    {
        _certs = new TestCertificates(_pki.Path);
    }

    public void Dispose() => _pki.Dispose();

    /// <summary>A TLS listener for the publisher plus a plain one for the test's subscriber.</summary>
    private MosquittoFixture Broker(bool requireClientCertificate) =>
        new(_certs.MosquittoConfig(requireClientCertificate), plainListener: true);

    private static JsonElement Result() => JsonDocument.Parse("""{"ok":true}""").RootElement;

    private async Task AssertDeliveredAsync(MosquittoFixture broker, MqttPublisherOptions options)
    {
        await using var subscriber = await MqttTestSubscriber.ConnectAsync(broker.Host, broker.PlainPort, "edgeai/+/+/+/+");
        await using var publisher = new MqttPublisher(options);
        await publisher.StartAsync();
        Assert.True(publisher.TryPublish("inspection", "defect", Result()));
        using var cts = new CancellationTokenSource(Wait);
        await publisher.WaitUntilDeliveredAsync(cts.Token);
        await subscriber.WaitUntilAsync(_ => Envelopes(subscriber).Count == 1, Wait, "the envelope over TLS");
        Assert.True(Envelopes(subscriber)[0].Payload.GetProperty("ok").GetBoolean());
    }

    private static async Task<string> FirstErrorAsync(MqttPublisherOptions options)
    {
        await using var publisher = new MqttPublisher(options);
        await publisher.StartAsync();
        await Eventually(() => publisher.Statistics.ConnectFailures >= 1, Wait, () => "a refused connection");
        var stats = publisher.Statistics;
        Assert.Equal(0, stats.Connections);
        Assert.False(publisher.IsConnected);
        return stats.LastError!;
    }

    [Fact]
    public async Task Tls_with_the_brokers_ca_delivers()
    {
        using var broker = Broker(requireClientCertificate: false);
        var options = Options(broker.Host, broker.Port, broker.Files.File("outbox.db"));
        options.CaFile = _certs.CaFile;

        await AssertDeliveredAsync(broker, options);
    }

    [Fact]
    public async Task Mutual_tls_with_a_client_certificate_from_the_brokers_ca_delivers()
    {
        using var broker = Broker(requireClientCertificate: true);
        var options = Options(broker.Host, broker.Port, broker.Files.File("outbox.db"));
        options.CaFile = _certs.CaFile;
        options.ClientCertificateFile = _certs.ClientCertificateFile;
        options.ClientKeyFile = _certs.ClientKeyFile;

        await AssertDeliveredAsync(broker, options);
    }

    [Fact]
    public async Task A_broker_certificate_from_another_ca_is_refused_with_a_clear_error()
    {
        using var broker = Broker(requireClientCertificate: false);
        var options = Options(broker.Host, broker.Port, broker.Files.File("outbox.db"));
        options.CaFile = _certs.RogueCaFile;

        var error = await FirstErrorAsync(options);

        Assert.Contains("not signed by the CA in CaFile", error, StringComparison.Ordinal);
        Assert.Contains(_certs.RogueCaFile, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_broker_certificate_for_another_host_name_is_refused_with_a_clear_error()
    {
        using var broker = new MosquittoFixture(_certs.MosquittoConfig(requireClientCertificate: false, wrongName: true));
        var options = Options(broker.Host, broker.Port, broker.Files.File("outbox.db"));
        options.CaFile = _certs.CaFile;

        var error = await FirstErrorAsync(options);

        Assert.Contains("does not name host '127.0.0.1'", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_certificate_from_another_ca_is_refused_with_a_clear_error()
    {
        using var broker = Broker(requireClientCertificate: true);
        var options = Options(broker.Host, broker.Port, broker.Files.File("outbox.db"));
        options.CaFile = _certs.CaFile;
        options.ClientCertificateFile = _certs.RogueClientCertificateFile;
        options.ClientKeyFile = _certs.RogueClientKeyFile;

        var error = await FirstErrorAsync(options);

        Assert.Contains("ClientCertificateFile", error, StringComparison.Ordinal);
        Assert.Contains(_certs.RogueClientCertificateFile, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_client_certificate_is_refused_with_a_clear_error()
    {
        using var broker = Broker(requireClientCertificate: true);
        var options = Options(broker.Host, broker.Port, broker.Files.File("outbox.db"));
        options.CaFile = _certs.CaFile;

        var error = await FirstErrorAsync(options);

        Assert.Contains("set ClientCertificateFile and ClientKeyFile", error, StringComparison.Ordinal);
    }
}

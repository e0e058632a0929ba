using System.Diagnostics;
using System.Text.Json;
using EdgeAI.Messaging;
using EdgeAI.TestSupport;
using static EdgeAI.Sdk.Tests.Messaging.MessagingTestHelpers;

namespace EdgeAI.Sdk.Tests.Messaging;

public sealed class MqttPublisherSessionTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(MqttProtocol.V500, true)]
    [InlineData(MqttProtocol.V500, false)]
    [InlineData(MqttProtocol.V311, true)]
    [InlineData(MqttProtocol.V311, false)]
    public async Task Each_protocol_with_clean_or_persistent_session_delivers_across_a_reconnect(MqttProtocol protocol, bool cleanSession)
    {
        using var broker = new MosquittoFixture();
        await using var subscriber = await MqttTestSubscriber.ConnectAsync(broker.Host, broker.Port, "edgeai/+/+/+/+");
        var options = Options(broker.Host, broker.Port, broker.Files.File("outbox.db"));
        options.ProtocolVersion = protocol;
        options.CleanSession = cleanSession;
        options.ClientId = "stable-client-id";
        using var payload = JsonDocument.Parse("""{"n":1}""");

        for (var life = 0; life < 2; life++)
        {
            await using var publisher = new MqttPublisher(options);
            await publisher.StartAsync();
            Assert.True(publisher.TryPublish("a", "k", payload.RootElement));
            using var cts = new CancellationTokenSource(Wait);
            await publisher.WaitUntilDeliveredAsync(cts.Token);
            Assert.Equal(protocol, publisher.Statistics.NegotiatedProtocol);
        }

        await subscriber.WaitUntilAsync(_ => Envelopes(subscriber).Count == 2, Wait, "one envelope per life");
        Assert.Equal([1L, 2], Envelopes(subscriber).Select(e => e.Seq));
    }

    [Fact]
    public async Task Credentials_are_sent_and_a_wrong_password_is_refused_with_the_reason()
    {
        using var pki = new TempDirectory();
        var passwordFile = pki.File("passwd");
        using (var tool = Process.Start(new ProcessStartInfo("mosquitto_passwd", ["-c", "-b", passwordFile, "device-1", "s3cret"]) { UseShellExecute = false })!)
        {
            await tool.WaitForExitAsync();
            Assert.Equal(0, tool.ExitCode);
        }

        using var broker = new MosquittoFixture($"allow_anonymous false{Environment.NewLine}password_file {passwordFile}");
        var good = Options(broker.Host, broker.Port, broker.Files.File("good.db"));
        good.Username = "device-1";
        good.Password = "s3cret";
        await using (var publisher = new MqttPublisher(good))
        {
            await publisher.StartAsync();
            Assert.True(publisher.TryPublish("a", "k", JsonDocument.Parse("""{"ok":1}""").RootElement));
            using var cts = new CancellationTokenSource(Wait);
            await publisher.WaitUntilDeliveredAsync(cts.Token);
            Assert.Equal(1, publisher.Statistics.Published);
        }

        var bad = Options(broker.Host, broker.Port, broker.Files.File("bad.db"));
        bad.Username = "device-1";
        bad.Password = "wrong";
        await using var refused = new MqttPublisher(bad);
        await refused.StartAsync();
        await Eventually(() => refused.Statistics.ConnectFailures >= 1, Wait, () => "a refused connection");

        Assert.Equal(0, refused.Statistics.Connections);
        Assert.Matches("refused the MQTT 5.0 connection: (BadUserNameOrPassword|NotAuthorized)", refused.Statistics.LastError);
    }
}

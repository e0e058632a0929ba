using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using EdgeAI.Messaging;
using EdgeAI.TestSupport;
using MQTTnet;
using static EdgeAI.Sdk.Tests.Messaging.MessagingTestHelpers;

namespace EdgeAI.Sdk.Tests.Messaging;

/// <summary>The documented ACL (docs/examples/mosquitto.acl) in a real mosquitto: a device writes only its own topics.</summary>
public sealed class MosquittoAclTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Documented_acl_lets_a_device_publish_as_itself_only()
    {
        using var files = new TempDirectory();
        var passwordFile = files.File("passwd");
        await AddUser(passwordFile, "dev-1", "p1", create: true);
        await AddUser(passwordFile, "backend", "pb", create: false);
        var acl = Path.Combine(RepoPaths.Root, "docs", "examples", "mosquitto.acl");
        using var broker = new MosquittoFixture($"allow_anonymous false{Environment.NewLine}password_file {passwordFile}{Environment.NewLine}acl_file {acl}");

        var received = new ConcurrentQueue<string>();
        using var backend = new MqttClientFactory().CreateMqttClient();
        backend.ApplicationMessageReceivedAsync += e =>
        {
            received.Enqueue(e.ApplicationMessage.Topic + " " + Encoding.UTF8.GetString(e.ApplicationMessage.Payload));
            return Task.CompletedTask;
        };
        await backend.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer(broker.Host, broker.Port).WithCredentials("backend", "pb").Build());
        await backend.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter(f => f.WithTopic("edgeai/#").WithQualityOfServiceLevel(MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce)).Build());

        using var payload = JsonDocument.Parse("""{"n":1}""");

        // As itself: delivered.
        var own = Options(broker.Host, broker.Port, files.File("own.db"));
        own.Site = "plant-1";
        own.Device = "dev-1";
        own.Username = "dev-1";
        own.Password = "p1";
        await using (var publisher = new MqttPublisher(own))
        {
            await publisher.StartAsync();
            Assert.True(publisher.TryPublish("fleet", "heartbeat", payload.RootElement));
            using var cts = new CancellationTokenSource(Wait);
            await publisher.WaitUntilDeliveredAsync(cts.Token);
            Assert.Equal(0, publisher.Statistics.RefusedByBroker);
        }

        await Eventually(() => received.Any(m => m.StartsWith("edgeai/plant-1/dev-1/fleet/heartbeat ", StringComparison.Ordinal)), Wait, () => "dev-1's own result");

        // Logged in as dev-1 but claiming to be dev-2: mosquitto refuses the publishes (and drops the
        // connection). Nothing reaches the backend, the result stays in the outbox, and the publisher
        // backs off instead of reconnecting in a tight loop.
        var impostor = Options(broker.Host, broker.Port, files.File("impostor.db"));
        impostor.Site = "plant-1";
        impostor.Device = "dev-2";
        impostor.Username = "dev-1";
        impostor.Password = "p1";
        impostor.BackoffMin = TimeSpan.FromMilliseconds(100);
        impostor.BackoffMax = TimeSpan.FromSeconds(1);
        await using (var publisher = new MqttPublisher(impostor))
        {
            await publisher.StartAsync();
            Assert.True(publisher.TryPublish("fleet", "heartbeat", payload.RootElement));
            await Task.Delay(TimeSpan.FromSeconds(3));
            var stats = publisher.Statistics;
            Assert.Equal(0, stats.Published);
            Assert.Equal(1, stats.OutboxPending);

            // Backoff 0.1 s doubling to 1 s: a handful of attempts in 3 s, not thousands.
            Assert.InRange(stats.Connections + stats.ConnectFailures, 1, 12);
        }

        await Task.Delay(300);
        Assert.DoesNotContain(received, m => m.Contains("/dev-2/", StringComparison.Ordinal));
        await backend.DisconnectAsync();
    }

    private static async Task AddUser(string passwordFile, string user, string password, bool create)
    {
        string[] args = create ? ["-c", "-b", passwordFile, user, password] : ["-b", passwordFile, user, password];
        using var tool = Process.Start(new ProcessStartInfo("mosquitto_passwd", args) { UseShellExecute = false })!;
        await tool.WaitForExitAsync();
        Assert.Equal(0, tool.ExitCode);
    }
}

using System.Collections.Concurrent;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using EdgeAI.Agents.Hosting;
using EdgeAI.Messaging;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MQTTnet;

namespace EdgeAI.Agents.Commands;

/// <summary>
/// <c>edgeai demo</c>: runs every agent on the bundled sample input against an embedded MQTT broker
/// (or <c>--broker host:port</c>) and prints every message published, so a newcomer sees the whole
/// device working with nothing installed.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var broker = new Option<string?>("--broker") { Description = "Publish to this broker (host:port) instead of starting an embedded one." };
        var duration = new Option<string>("--duration") { Description = "How long to run: e.g. 10s, 500ms, 2m (default 5s).", DefaultValueFactory = _ => "5s" };
        var models = new Option<string>("--models") { Description = "Folder of model directories (default: the models next to the program).", DefaultValueFactory = _ => Cli.DefaultModelsPath };
        var json = new Option<bool>("--json") { Description = "Print one JSON report at the end instead of the live feed." };
        var command = new Command("demo", "Run every agent on bundled sample input with an embedded MQTT broker and show what it publishes.")
        {
            broker,
            duration,
            models,
            json,
        };
        command.SetAction((parse, ct) => ExecuteAsync(parse.GetValue(broker), parse.GetValue(duration)!, parse.GetValue(models)!, parse.GetValue(json), ct));
        return command;
    }

    public static async Task<int> ExecuteAsync(string? brokerText, string durationText, string modelsPath, bool json, CancellationToken cancellationToken)
    {
        if (!DurationParser.TryParse(durationText, out var duration))
        {
            Console.Error.WriteLine($"edgeai demo: --duration '{durationText}' is not a duration; expected e.g. 10s, 500ms or 2m.");
            return ExitCodes.BadUsage;
        }

        BrokerAddress address = default;
        if (brokerText is not null && !BrokerAddress.TryParse(brokerText, out address))
        {
            Console.Error.WriteLine($"edgeai demo: --broker '{brokerText}' is not host:port with a port 1-65535.");
            return ExitCodes.BadUsage;
        }

        if (!Directory.Exists(modelsPath))
        {
            Console.Error.WriteLine($"edgeai demo: models folder '{modelsPath}' does not exist (--models).");
            return ExitCodes.BadUsage;
        }

        EmbeddedBroker? embedded = null;
        if (brokerText is null)
        {
            embedded = await EmbeddedBroker.StartAsync(cancellationToken: cancellationToken);
            address = new BrokerAddress("127.0.0.1", embedded.Port);
        }

        // The demo keeps no state: its outbox lives in a temporary folder removed afterwards.
        var dataPath = Path.Combine(Path.GetTempPath(), "edgeai-demo-" + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            return await RunAsync(address, embedded is not null, duration, modelsPath, dataPath, json, cancellationToken);
        }
        finally
        {
            if (embedded is not null)
            {
                await embedded.DisposeAsync();
            }

            try
            {
                Directory.Delete(dataPath, recursive: true);
            }
            catch (IOException)
            {
                // Left for the OS temp cleaner.
            }
        }
    }

    private static async Task<int> RunAsync(BrokerAddress address, bool embedded, TimeSpan duration, string modelsPath, string dataPath, bool json, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var seen = new ConcurrentQueue<DemoMessage>();
        using var monitor = new MqttClientFactory().CreateMqttClient();
        monitor.ApplicationMessageReceivedAsync += e =>
        {
            var payload = Encoding.UTF8.GetString(e.ApplicationMessage.Payload);
            if (e.ApplicationMessage.Retain && payload == "offline")
            {
                // A retained "offline" left on an external broker by an earlier run, not this one's news.
                return Task.CompletedTask;
            }

            var message = new DemoMessage(Math.Round(clock.Elapsed.TotalSeconds, 3), e.ApplicationMessage.Topic, e.ApplicationMessage.Retain, AsJson(payload));
            seen.Enqueue(message);
            if (!json)
            {
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{message.AtSeconds,7:f3}s] {message.Topic}{(message.Retained ? " (retained)" : "")}\n           {payload}"));
            }

            return Task.CompletedTask;
        };

        try
        {
            await monitor.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer(address.Host, address.Port).WithClientId("edgeai-demo-monitor").Build(), cancellationToken);
        }
        catch (Exception ex) when (ex is MQTTnet.Exceptions.MqttCommunicationException or SocketException or OperationCanceledException)
        {
            Console.Error.WriteLine($"edgeai demo: cannot connect to broker {address}: {ex.Message}");
            return ExitCodes.BadUsage;
        }

        await monitor.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter("edgeai/#").Build(), cancellationToken);
        if (!json)
        {
            Console.Out.WriteLine($"edgeai demo: {(embedded ? "embedded broker" : "broker")} at {address}, running for {duration.TotalSeconds:g}s; every message published under edgeai/# follows.");
        }

        var settings = new Dictionary<string, string?>
        {
            ["Device:Site"] = "demo-site",
            ["Device:Id"] = "demo-device",
            ["Device:ModelsPath"] = Path.GetFullPath(modelsPath),
            ["Device:DataPath"] = dataPath,
            ["Mqtt:Host"] = address.Host,
            ["Mqtt:Port"] = address.Port.ToString(CultureInfo.InvariantCulture),
            ["Fleet:HeartbeatSeconds"] = Math.Clamp(duration.TotalSeconds / 4, 0.25, 30).ToString(CultureInfo.InvariantCulture),
        };
        using (var host = DeviceHost.Build(c => c.AddInMemoryCollection(settings), json ? LogLevel.Warning : LogLevel.Information))
        {
            try
            {
                await host.StartAsync(cancellationToken);
            }
            catch (OptionsValidationException ex)
            {
                Console.Error.WriteLine($"edgeai demo: invalid configuration: {ex.Message}");
                return ExitCodes.BadUsage;
            }

            try
            {
                await Task.Delay(duration, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C ends the demo early; shut down cleanly and report what was seen.
            }

            await host.StopAsync(CancellationToken.None);
        }

        // Give the broker a moment to deliver the final "offline" status to the monitor.
        await Task.Delay(200, CancellationToken.None);
        await monitor.DisconnectAsync();

        var messages = seen.ToArray();
        if (json)
        {
            var report = new DemoReport(address.ToString(), embedded, Math.Round(clock.Elapsed.TotalSeconds, 3), messages.Length, messages);
            Console.Out.WriteLine(JsonSerializer.Serialize(report, AgentsJsonContext.Output.DemoReport));
        }
        else
        {
            Console.Out.WriteLine($"edgeai demo: {messages.Length} message(s) published in {clock.Elapsed.TotalSeconds:f1}s.");
        }

        return messages.Length > 0 ? ExitCodes.Ok : ExitCodes.CheckFailed;
    }

    private static JsonElement AsJson(string payload)
    {
        try
        {
            using var doc = JsonDocument.Parse(payload);
            return doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            return JsonSerializer.SerializeToElement(payload, AgentsJsonContext.Output.String);
        }
    }
}

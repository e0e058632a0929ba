using System.Text.Json;
using EdgeAI.TestSupport;

namespace EdgeAI.Agents.Tests;

public sealed class CommandLineTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Selftest_json_reports_every_bundled_variant_as_passed()
    {
        var r = await Edgeai.RunAsync(Timeout, "selftest", "--json", "--models", RepoPaths.Models);
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        using var doc = JsonDocument.Parse(r.Stdout);
        var results = doc.RootElement.EnumerateArray().ToArray();
        Assert.Contains(results, e => e.GetProperty("model").GetString() == "runtime-check" && e.GetProperty("variant").GetString() == "fp32");
        Assert.All(results, e => Assert.True(e.GetProperty("passed").GetBoolean(), e.GetProperty("message").GetString()));
    }

    [Fact]
    public async Task Selftest_exits_1_when_a_model_fails()
    {
        using var root = new TempDirectory();
        var dir = Path.Combine(root.Path, "broken");
        TinyModels.WriteLinearModelDirectory(dir);
        File.WriteAllBytes(Path.Combine(dir, "sample", "fp32.y.bin"), new byte[12]);

        var r = await Edgeai.RunAsync(Timeout, "selftest", "--models", root.Path);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("FAIL", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("0 passed, 1 failed", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Demo_publishes_status_inventory_and_heartbeats_through_the_embedded_broker()
    {
        var r = await Edgeai.RunAsync(Timeout, "demo", "--duration", "1500ms", "--json", "--models", RepoPaths.Models);
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        var report = doc.RootElement;
        Assert.True(report.GetProperty("embeddedBroker").GetBoolean());
        var messages = report.GetProperty("messages").EnumerateArray().ToArray();
        var topics = messages.Select(m => m.GetProperty("topic").GetString()).ToArray();
        Assert.Equal("edgeai/demo-site/demo-device/status", topics[0]);
        Assert.Contains("edgeai/demo-site/demo-device/fleet/inventory", topics);
        Assert.Contains("edgeai/demo-site/demo-device/fleet/heartbeat", topics);
        Assert.Contains("edgeai/demo-site/demo-device/inspection/result", topics);
        var states = messages.Where(m => m.GetProperty("topic").GetString()!.EndsWith("/status", StringComparison.Ordinal))
            .Select(m => m.GetProperty("payload").GetString() ?? "").ToArray();
        Assert.Equal(new[] { "online", "offline" }, states);

        // Results carry the SDK's envelope: consecutive seq from 1, one id each.
        var envelopes = messages.Where(m => m.GetProperty("topic").GetString()!.Contains("/fleet/", StringComparison.Ordinal)).Select(m => m.GetProperty("payload")).ToArray();
        Assert.Equal(Enumerable.Range(1, envelopes.Length).Select(i => (long)i), envelopes.Select(e => e.GetProperty("seq").GetInt64()));
        var inspections = messages.Where(m => m.GetProperty("topic").GetString()!.EndsWith("/inspection/result", StringComparison.Ordinal)).Select(m => m.GetProperty("payload")).ToArray();
        Assert.Equal(Enumerable.Range(1, inspections.Length).Select(i => (long)i), inspections.Select(e => e.GetProperty("seq").GetInt64()));
        Assert.Equal(envelopes.Length + inspections.Length, envelopes.Concat(inspections).Select(e => e.GetProperty("messageId").GetString()).Distinct().Count());

        // The demo camera replays held-out pictures named by their true label; the first is a dent the model finds.
        var first = inspections[0].GetProperty("payload");
        Assert.Equal("00-dent.png", first.GetProperty("source").GetString());
        Assert.Equal(0, first.GetProperty("frame").GetInt64());
        Assert.InRange(first.GetProperty("defectScore").GetDouble(), 0, 1);
        var inventory = envelopes.First(e => e.GetProperty("kind").GetString() == "inventory").GetProperty("payload");
        Assert.Equal(0, inventory.GetProperty("failed").GetInt32());
        Assert.True(inventory.GetProperty("passed").GetInt32() >= 1);
    }

    [Theory]
    [InlineData(new[] { "frobnicate" }, "frobnicate")]
    [InlineData(new[] { "demo", "--duration", "soon" }, "--duration 'soon'")]
    [InlineData(new[] { "demo", "--broker", "localhost" }, "--broker 'localhost'")]
    [InlineData(new[] { "demo", "--broker", "localhost:70000" }, "--broker 'localhost:70000'")]
    [InlineData(new[] { "selftest", "--models", "/nonexistent/models" }, "/nonexistent/models")]
    [InlineData(new[] { "run" }, "--config")]
    [InlineData(new[] { "run", "--config", "/nonexistent/edgeai.json" }, "/nonexistent/edgeai.json")]
    public async Task Bad_usage_exits_2_with_a_message_naming_the_problem(string[] args, string expected)
    {
        var r = await Edgeai.RunAsync(Timeout, args);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(expected, r.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"Mqtt\": {\"Port\": 0}}", "Mqtt:Port is 0")]
    [InlineData("{\"Mqtt\": {\"CaFile\": \"/nonexistent/ca.pem\"}}", "/nonexistent/ca.pem")]
    [InlineData("{\"Mqtt\": {\"TopicPrefix\": \"edge/#\"}}", "TopicPrefix")]
    [InlineData("{\"Device\": {\"Site\": \"plant/1\"}}", "Device:Site 'plant/1'")]
    [InlineData("{\"Fleet\": {\"HeartbeatSeconds\": -1}}", "Fleet:HeartbeatSeconds is -1")]
    [InlineData("{\"Mqtt\": {\"Port\": \"abc\"}}", "Port")]
    [InlineData("{\"Mqtt\": {\"PayloadFormat\": \"protobuf\"}}", "'protobuf' at 'Mqtt:PayloadFormat'")]
    [InlineData("{\"Mqtt\": {\"PayloadFormat\": \"7\"}}", "Mqtt:PayloadFormat is 7; expected Json or Sparkplug.")]
    [InlineData("{\"Mqtt\": {\"MaxInFlight\": 0}}", "Mqtt:MaxInFlight is 0; expected 1..1024 unacknowledged messages.\n")]
    [InlineData("{ not json", "not valid JSON")]
    public async Task Invalid_configuration_is_refused_at_start_naming_the_setting(string json, string expected)
    {
        using var dir = new TempDirectory();
        var config = dir.File("edgeai.json");
        await File.WriteAllTextAsync(config, json);
        var r = await Edgeai.RunAsync(Timeout, "run", "--config", config);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(expected, r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_command_has_help()
    {
        foreach (var command in new[] { "selftest", "demo", "run", "inspect" })
        {
            var r = await Edgeai.RunAsync(Timeout, command, "--help");
            Assert.Equal(0, r.ExitCode);
            Assert.Contains("Usage:", r.Stdout, StringComparison.Ordinal);
            Assert.Contains(command, r.Stdout, StringComparison.Ordinal);
        }
    }
}

using EdgeAI.Inference;

namespace EdgeAI.Agents.Fleet;

/// <summary>Retained on <c>…/fleet/status</c>: whether the device is up, and what it runs.</summary>
internal sealed record DeviceStatus(string State, string Device, string Site, string Version, DateTimeOffset Timestamp);

/// <summary>Published on <c>…/fleet/inventory</c> at start: every model variant and its on-device self-test.</summary>
internal sealed record ModelInventory(DateTimeOffset Timestamp, int Passed, int Failed, SelfTestResult[] Variants);

/// <summary>Published on <c>…/fleet/heartbeat</c> every <c>Fleet:HeartbeatSeconds</c>.</summary>
internal sealed record Heartbeat(long Seq, DateTimeOffset Timestamp, double UptimeSeconds, long WorkingSetBytes);

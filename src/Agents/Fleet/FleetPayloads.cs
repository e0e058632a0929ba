using EdgeAI.Inference;

namespace EdgeAI.Agents.Fleet;

/// <summary>Published on <c>…/fleet/inventory</c> at start: every model variant and its on-device self-test.</summary>
internal sealed record ModelInventory(DateTimeOffset Timestamp, string Version, int Passed, int Failed, SelfTestResult[] Variants);

/// <summary>Published on <c>…/fleet/heartbeat</c> every <c>Fleet:HeartbeatSeconds</c>.</summary>
/// <param name="Beat">Heartbeats since this process started (the envelope's <c>seq</c> survives restarts; this does not).</param>
/// <param name="Timestamp">When the heartbeat was made (UTC).</param>
/// <param name="UptimeSeconds">Seconds since the agent started.</param>
/// <param name="WorkingSetBytes">The process's working set.</param>
/// <param name="Pending">Results waiting in the queue and outbox.</param>
/// <param name="OutboxDropped">Results the outbox dropped by its overflow policy, ever.</param>
internal sealed record Heartbeat(long Beat, DateTimeOffset Timestamp, double UptimeSeconds, long WorkingSetBytes, long Pending, long OutboxDropped);

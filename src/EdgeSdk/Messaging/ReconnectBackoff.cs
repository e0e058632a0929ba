namespace EdgeAI.Messaging;

/// <summary>
/// Exponential reconnect delays with "equal jitter": attempt n waits a uniformly random time in
/// [d/2, d] where d = min(max, min * 2^n). The random half spreads a fleet that lost its broker at the same
/// moment; the fixed half keeps a device from hammering a broker that is still down.
/// </summary>
internal sealed class ReconnectBackoff
{
    private readonly TimeSpan _min;
    private readonly TimeSpan _max;
    private readonly Random _random;

    public ReconnectBackoff(TimeSpan min, TimeSpan max, Random? random = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(min, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, min);
        _min = min;
        _max = max;
        _random = random ?? Random.Shared;
    }

    /// <summary>The delay before reconnect attempt <paramref name="attempt"/> (0 for the first retry).</summary>
    public TimeSpan Delay(int attempt)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(attempt);

        // 2^30 * any sane minimum is already beyond any sane maximum; the clamp avoids overflow.
        var factor = Math.Pow(2, Math.Min(attempt, 30));
        var ceiling = Math.Min(_max.Ticks, _min.Ticks * factor);
        var half = ceiling / 2;
        return TimeSpan.FromTicks((long)(half + (_random.NextDouble() * half)));
    }
}

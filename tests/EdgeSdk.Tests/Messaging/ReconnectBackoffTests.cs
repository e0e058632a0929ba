using EdgeAI.Messaging;

namespace EdgeAI.Sdk.Tests.Messaging;

public sealed class ReconnectBackoffTests
{
    [Fact]
    public void Delays_double_per_attempt_within_the_jitter_band_and_stop_at_the_maximum()
    {
        var backoff = new ReconnectBackoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5), new Random(1234));

        for (var attempt = 0; attempt < 40; attempt++)
        {
            var ceiling = Math.Min(5000, 100 * Math.Pow(2, attempt));
            for (var i = 0; i < 50; i++)
            {
                var delay = backoff.Delay(attempt).TotalMilliseconds;
                Assert.InRange(delay, ceiling / 2, ceiling);
            }
        }
    }

    [Fact]
    public void Jitter_spreads_the_delays()
    {
        var backoff = new ReconnectBackoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60), new Random(7));

        var delays = Enumerable.Range(0, 200).Select(_ => backoff.Delay(3).TotalMilliseconds).ToArray();

        // Uniform on [4000, 8000]: mean 6000, standard deviation 1155; 200 samples put the mean within ~250 ms.
        Assert.InRange(delays.Average(), 5700, 6300);
        Assert.True(delays.Max() - delays.Min() > 3000, $"spread {delays.Max() - delays.Min()} ms");
    }
}

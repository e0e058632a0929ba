using EdgeAI.Agents.Inspection;

namespace EdgeAI.Agents.Tests.Inspection;

public sealed class RejectThresholdTests
{
    [Theory]
    [InlineData(0.02, 1)]
    [InlineData(0.02, 49)]
    [InlineData(0.02, 50)]
    [InlineData(0.02, 301)]
    [InlineData(0.1, 37)]
    [InlineData(0, 20)]
    [InlineData(0.5, 9)]
    public void The_taught_threshold_is_the_lowest_that_rejects_at_most_the_share_asked(double rate, int n)
    {
        // Checked by definition, by brute force over every candidate: scores drawn from 12 levels so that ties occur.
        var rng = new Random(n);
        for (var trial = 0; trial < 50; trial++)
        {
            var scores = Enumerable.Range(0, n).Select(_ => rng.Next(12) / 11.0).ToArray();
            var allowed = (int)Math.Floor(rate * n + 1e-9);
            var t = RejectThreshold.AtFalseRejectRate(scores, rate);
            Assert.Contains(t, scores);
            Assert.True(RejectThreshold.Rejected(scores, t) <= allowed, $"{RejectThreshold.Rejected(scores, t)} rejected, {allowed} allowed");
            var lowest = scores.Distinct().Order().First(c => scores.Count(s => s > c) <= allowed);
            Assert.Equal(lowest, t);
        }
    }

    [Fact]
    public void Without_ties_exactly_the_share_asked_is_rejected()
    {
        var scores = Enumerable.Range(0, 200).Select(i => i / 400.0).Reverse().ToArray();
        var t = RejectThreshold.AtFalseRejectRate(scores, 0.02);
        Assert.Equal(4, RejectThreshold.Rejected(scores, t));
        Assert.Equal(195 / 400.0, t);
        Assert.Equal(scores.Max(), RejectThreshold.AtFalseRejectRate(scores, 0));
    }

    [Fact]
    public void Bad_input_is_refused_naming_what_was_expected()
    {
        Assert.Contains("No scores", Assert.Throws<ArgumentException>(() => RejectThreshold.AtFalseRejectRate([], 0.02)).Message, StringComparison.Ordinal);
        Assert.Contains("outside 0..1", Assert.Throws<ArgumentException>(() => RejectThreshold.AtFalseRejectRate([0.1, double.NaN], 0.02)).Message, StringComparison.Ordinal);
        Assert.Contains("outside 0..1", Assert.Throws<ArgumentException>(() => RejectThreshold.AtFalseRejectRate([1.5], 0.02)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => RejectThreshold.AtFalseRejectRate([0.1], 0.6));
        Assert.Throws<ArgumentOutOfRangeException>(() => RejectThreshold.AtFalseRejectRate([0.1], -0.01));
    }
}

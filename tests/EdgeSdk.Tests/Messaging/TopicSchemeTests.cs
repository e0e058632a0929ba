using EdgeAI.Messaging;

namespace EdgeAI.Sdk.Tests.Messaging;

public sealed class TopicSchemeTests
{
    [Fact]
    public void Builds_result_and_status_topics_from_the_documented_scheme()
    {
        var scheme = new TopicScheme("plant-7", "cam-03");

        Assert.Equal("edgeai/plant-7/cam-03/inspection/defect", scheme.ResultTopic("inspection", "defect"));
        Assert.Equal("edgeai/plant-7/cam-03/status", scheme.StatusTopic);
    }

    [Fact]
    public void Accepts_a_multi_level_prefix()
    {
        var scheme = new TopicScheme("s", "d", "acme/edge");

        Assert.Equal("acme/edge/s/d/a/k", scheme.ResultTopic("a", "k"));
    }

    [Theory]
    [InlineData("pl+nt", "site", "wildcard '+'")]
    [InlineData("plant#", "site", "wildcard '#'")]
    [InlineData("pl\0nt", "site", "NUL")]
    [InlineData("", "site", "empty")]
    [InlineData("a/b", "site", "single topic level")]
    [InlineData("$SYS", "site", "'$'")]
    public void Refuses_an_invalid_site_naming_it(string site, string setting, string reason)
    {
        var ex = Assert.Throws<ArgumentException>(() => new TopicScheme(site, "dev"));

        Assert.Equal(setting, ex.ParamName);
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/edgeai")]
    [InlineData("edgeai/")]
    [InlineData("a//b")]
    [InlineData("a/+/b")]
    public void Refuses_a_prefix_with_empty_levels_or_wildcards(string prefix)
    {
        var ex = Assert.Throws<ArgumentException>(() => new TopicScheme("s", "d", prefix));

        Assert.Equal("prefix", ex.ParamName);
    }

    [Fact]
    public void Refuses_agent_and_kind_that_are_not_single_levels()
    {
        var scheme = new TopicScheme("s", "d");

        Assert.Equal("agent", Assert.Throws<ArgumentException>(() => scheme.ResultTopic("a#", "k")).ParamName);
        Assert.Equal("kind", Assert.Throws<ArgumentException>(() => scheme.ResultTopic("a", "k/x")).ParamName);
        Assert.Equal("kind", Assert.Throws<ArgumentException>(() => scheme.ResultTopic("a", "")).ParamName);
    }

    [Fact]
    public void Refuses_a_topic_longer_than_65535_utf8_bytes()
    {
        var scheme = new TopicScheme("s", "d");

        // 'é' is two UTF-8 bytes: 33,000 characters are 66,000 bytes although fewer than 65,535 chars.
        var ex = Assert.Throws<ArgumentException>(() => scheme.ResultTopic("a", new string('é', 33_000)));

        Assert.Contains("65535", ex.Message, StringComparison.Ordinal);
        var longest = scheme.ResultTopic("a", new string('k', TopicScheme.MaxTopicBytes - "edgeai/s/d/a/".Length));
        Assert.Equal(65535, System.Text.Encoding.UTF8.GetByteCount(longest));
    }
}

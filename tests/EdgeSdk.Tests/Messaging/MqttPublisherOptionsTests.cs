using EdgeAI.Messaging;
using EdgeAI.TestSupport;

namespace EdgeAI.Sdk.Tests.Messaging;

public sealed class MqttPublisherOptionsTests
{
    private static MqttPublisherOptions Valid() => new()
    {
        Site = "plant-7",
        Device = "cam-03",
        OutboxPath = "/tmp/unused-outbox.db",
    };

    [Fact]
    public void Defaults_with_site_device_and_outbox_are_valid()
    {
        Valid().Validate();
    }

    public static TheoryData<string, Action<MqttPublisherOptions>, string> Broken => new()
    {
        { "Port", o => o.Port = 0, "1..65535" },
        { "Port", o => o.Port = 70000, "70000" },
        { "Host", o => o.Host = " ", "host name" },
        { "MqttPublisherOptions.Site", o => o.Site = "plant/7", "single topic level" },
        { "MqttPublisherOptions.Site", o => o.Site = "", "empty" },
        { "MqttPublisherOptions.Device", o => o.Device = "cam+", "wildcard" },
        { "MqttPublisherOptions.Device", o => o.Device = "cam#", "wildcard" },
        { "MqttPublisherOptions.TopicPrefix", o => o.TopicPrefix = "edge//ai", "empty topic level" },
        { "Password", o => o.Password = "secret", "without Username" },
        { "OutboxPath", o => o.OutboxPath = "", "outbox" },
        { "MaxOutboxMessages", o => o.MaxOutboxMessages = 0, "positive" },
        { "ChannelCapacity", o => o.ChannelCapacity = -1, "positive" },
        { "BackoffMin", o => o.BackoffMin = TimeSpan.Zero, "positive" },
        { "BackoffMax", o => o.BackoffMax = TimeSpan.FromMilliseconds(1), "at least BackoffMin" },
        { "KeepAlive", o => o.KeepAlive = TimeSpan.FromDays(2), "65535" },
        { "ProtocolVersion", o => o.ProtocolVersion = (MqttProtocol)42, "Auto, V500 or V311" },
        { "CaFile", o => o.CaFile = " ", "blank" },
        { "PayloadFormat", o => o.PayloadFormat = (MqttPayloadFormat)7, "Json or Sparkplug" },
        { "MaxInFlight", o => o.MaxInFlight = 0, "1..1024" },
        { "MaxInFlight", o => o.MaxInFlight = 1025, "1..1024" },
    };

    [Theory]
    [MemberData(nameof(Broken))]
    public void A_bad_setting_is_refused_with_its_name(string setting, Action<MqttPublisherOptions> breakIt, string why)
    {
        var options = Valid();
        breakIt(options);

        var ex = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Equal(setting, ex.ParamName);
        Assert.Contains(setting.Split('.')[^1], ex.Message, StringComparison.Ordinal);
        Assert.Contains(why, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_certificate_file_names_the_setting_and_path()
    {
        var options = Valid();
        options.CaFile = "/nonexistent/ca.crt";

        var ex = Assert.Throws<FileNotFoundException>(options.Validate);

        Assert.Contains("CaFile", ex.Message, StringComparison.Ordinal);
        Assert.Contains("/nonexistent/ca.crt", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_client_certificate_without_its_key_names_the_missing_setting()
    {
        using var dir = new TempDirectory();
        var certs = new TestCertificates(dir.Path);
        var options = Valid();
        options.CaFile = certs.CaFile;
        options.ClientCertificateFile = certs.ClientCertificateFile;

        var ex = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Equal("ClientKeyFile", ex.ParamName);
        Assert.True(options.TlsEnabled);
    }

    [Fact]
    public void A_key_that_does_not_match_the_certificate_is_refused_at_construction()
    {
        using var dir = new TempDirectory();
        var certs = new TestCertificates(dir.Path);
        var options = Valid();
        options.CaFile = certs.CaFile;
        options.ClientCertificateFile = certs.ClientCertificateFile;
        options.ClientKeyFile = certs.RogueClientKeyFile;

        var ex = Assert.Throws<ArgumentException>(() => new MqttPublisher(options));

        Assert.Equal("ClientCertificateFile", ex.ParamName);
        Assert.Contains(certs.RogueClientKeyFile, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_ca_file_that_is_not_pem_is_refused_at_construction()
    {
        using var dir = new TempDirectory();
        var options = Valid();
        options.CaFile = dir.File("garbage.pem");
        File.WriteAllText(options.CaFile, "not a certificate");

        var ex = Assert.Throws<ArgumentException>(() => new MqttPublisher(options));

        Assert.Equal("CaFile", ex.ParamName);
    }
}

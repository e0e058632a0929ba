using System.Buffers;
using System.Text;
using EdgeAI.Messaging;
using EdgeAI.Messaging.Sparkplug.Wire;
using Google.Protobuf;

namespace EdgeAI.Sdk.Tests.Messaging;

public sealed class SparkplugResultEncoderTests
{
    private static byte[] Command(params SpbPayload.Types.SpbMetric[] metrics)
    {
        var payload = new SpbPayload { Timestamp = 1 };
        payload.Metrics.AddRange(metrics);
        return payload.ToByteArray();
    }

    private static SpbPayload.Types.SpbMetric Rebirth(bool value) => new() { Name = SparkplugResultEncoder.RebirthMetric, Datatype = 11, BooleanValue = value };

    public static TheoryData<string, byte[], bool> Commands()
    {
        var valid = Command(Rebirth(true));
        return new()
        {
            { "rebirth true", valid, true },
            { "rebirth true after another metric", Command(new SpbPayload.Types.SpbMetric { Name = "Node Control/Reboot", BooleanValue = true }, Rebirth(true)), true },
            { "rebirth false", Command(Rebirth(false)), false },
            { "rebirth as an integer", Command(new SpbPayload.Types.SpbMetric { Name = SparkplugResultEncoder.RebirthMetric, IntValue = 1 }), false },
            { "another metric", Command(new SpbPayload.Types.SpbMetric { Name = "Node Control/Reboot", BooleanValue = true }), false },
            { "empty", [], false },
            { "truncated", valid[..^3], false },
            { "garbage", [0xFF, 0xFF, 0xFF, 0xFF, 0x0F], false },
            { "text", Encoding.UTF8.GetBytes("rebirth"), false },
        };
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void Only_a_well_formed_rebirth_true_is_a_rebirth_request(string what, byte[] payload, bool expected)
    {
        Assert.True(expected == SparkplugResultEncoder.IsRebirthRequest(new ReadOnlySequence<byte>(payload)), what);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{\"messageId\":\"x\"}")]
    [InlineData("{\"messageId\":\"0193b6c4-7d2e-7c41-9a53-2f1e8d9b0a11\",\"device\":\"d\",\"agent\":\"a\",\"kind\":\"k\",\"seq\":1,\"timestamp\":\"2026-11-25T00:00:00Z\",\"payload\":")]
    [InlineData("\u0000\u0001binary")]
    public void A_stored_payload_that_is_not_an_envelope_is_refused_and_nothing_is_encoded(string stored)
    {
        var encoder = new SparkplugResultEncoder("g", "n", TimeProvider.System);
        encoder.BeginSession();
        var output = new List<SparkplugMessage>();
        encoder.Births(output);
        output.Clear();

        Assert.False(encoder.TryEncode(new OutboxMessage(1, "m", "a", 1, "t", Encoding.UTF8.GetBytes(stored)), output));
        Assert.Empty(output);
    }
}

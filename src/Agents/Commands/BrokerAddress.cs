using System.Globalization;

namespace EdgeAI.Agents.Commands;

/// <summary>A <c>host:port</c> broker address from the command line.</summary>
internal readonly record struct BrokerAddress(string Host, int Port)
{
    public static bool TryParse(string? text, out BrokerAddress address)
    {
        address = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
        {
            return false;
        }

        var host = text[..colon].Trim('[', ']');
        if (!int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            return false;
        }

        address = new BrokerAddress(host, port);
        return true;
    }

    public override string ToString() => $"{Host}:{Port}";
}

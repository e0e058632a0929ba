using System.Text;

namespace EdgeAI.Messaging;

/// <summary>
/// Builds the MQTT topics a device publishes on: <c>{prefix}/{site}/{device}/{agent}/{kind}</c> for results
/// and <c>{prefix}/{site}/{device}/status</c> for the retained <c>online</c>/<c>offline</c> state.
/// </summary>
/// <remarks>
/// The default prefix is <c>edgeai</c>; a prefix may span several levels (<c>acme/plant-7</c>). Every level is
/// validated: not empty, no wildcard (<c>+</c>, <c>#</c>), no NUL, no <c>/</c> inside a site, device, agent or
/// kind, not starting with <c>$</c> (reserved for broker topics), and the whole topic at most 65,535 bytes of
/// UTF-8 (the MQTT limit). A backend subscribes with <c>edgeai/+/+/+/+</c> for every result, or
/// <c>edgeai/{site}/#</c> for one site. Immutable and thread-safe.
/// </remarks>
public sealed class TopicScheme
{
    /// <summary>The prefix used when none is configured.</summary>
    public const string DefaultPrefix = "edgeai";

    /// <summary>The last level of the device status topic.</summary>
    public const string StatusLevel = "status";

    /// <summary>Longest topic MQTT allows, in UTF-8 bytes.</summary>
    public const int MaxTopicBytes = 65535;

    private readonly string _devicePrefix;

    /// <summary>Creates the scheme for one device.</summary>
    /// <param name="site">Site (factory, store) the device belongs to: one topic level.</param>
    /// <param name="device">Device name, unique within the site: one topic level.</param>
    /// <param name="prefix">First level(s) of every topic; <see cref="DefaultPrefix"/> when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">A part is not a valid topic level; the message names it.</exception>
    public TopicScheme(string site, string device, string? prefix = null)
    {
        prefix ??= DefaultPrefix;
        ValidatePrefix(prefix, nameof(prefix));
        ValidateLevel(site, nameof(site));
        ValidateLevel(device, nameof(device));
        Prefix = prefix;
        Site = site;
        Device = device;
        _devicePrefix = string.Concat(prefix, "/", site, "/", device, "/");
        StatusTopic = _devicePrefix + StatusLevel;
        CheckLength(StatusTopic, nameof(device));
    }

    /// <summary>The first level(s) of every topic.</summary>
    public string Prefix { get; }

    /// <summary>The site level.</summary>
    public string Site { get; }

    /// <summary>The device level.</summary>
    public string Device { get; }

    /// <summary>The device's retained status topic (<c>online</c> / <c>offline</c>).</summary>
    public string StatusTopic { get; }

    /// <summary>The topic of one kind of result from one agent.</summary>
    /// <param name="agent">Agent name (e.g. <c>inspection</c>): one topic level.</param>
    /// <param name="kind">Result kind (e.g. <c>defect</c>): one topic level.</param>
    /// <exception cref="ArgumentException">A part is not a valid topic level; the message names it.</exception>
    public string ResultTopic(string agent, string kind)
    {
        ValidateLevel(agent, nameof(agent));
        ValidateLevel(kind, nameof(kind));
        var topic = string.Concat(_devicePrefix, agent, "/", kind);
        CheckLength(topic, nameof(kind));
        return topic;
    }

    /// <summary>Checks that <paramref name="value"/> can be a single topic level.</summary>
    /// <param name="value">The candidate level.</param>
    /// <param name="settingName">Name used in the error message (e.g. <c>MqttPublisherOptions.Site</c>).</param>
    /// <exception cref="ArgumentException">The value is empty, contains <c>/</c>, <c>+</c>, <c>#</c> or NUL, or starts with <c>$</c>.</exception>
    public static void ValidateLevel(string? value, string settingName)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw new ArgumentException($"{settingName} is empty; a topic level needs at least one character.", settingName);
        }

        if (value.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException($"{settingName} '{Printable(value)}' contains '/'; it must be a single topic level.", settingName);
        }

        CheckCharacters(value, settingName);
    }

    /// <summary>Checks that <paramref name="value"/> can be a topic prefix: one or more valid levels separated by <c>/</c>.</summary>
    /// <param name="value">The candidate prefix.</param>
    /// <param name="settingName">Name used in the error message.</param>
    /// <exception cref="ArgumentException">The prefix is empty, has an empty level, or contains a wildcard, NUL or a leading <c>$</c>.</exception>
    public static void ValidatePrefix(string? value, string settingName)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw new ArgumentException($"{settingName} is empty; expected one or more topic levels such as '{DefaultPrefix}'.", settingName);
        }

        foreach (var level in value.Split('/'))
        {
            if (level.Length == 0)
            {
                throw new ArgumentException($"{settingName} '{Printable(value)}' has an empty topic level (leading, trailing or doubled '/').", settingName);
            }
        }

        CheckCharacters(value, settingName);
        CheckLength(value, settingName);
    }

    private static void CheckCharacters(string value, string settingName)
    {
        if (value.AsSpan().IndexOfAny('+', '#', '\0') is var bad and >= 0)
        {
            var what = value[bad] == '\0' ? "NUL" : $"the wildcard '{value[bad]}'";
            throw new ArgumentException($"{settingName} '{Printable(value)}' contains {what}; topic names must not contain '+', '#' or NUL.", settingName);
        }

        if (value[0] == '$')
        {
            throw new ArgumentException($"{settingName} '{Printable(value)}' starts with '$', which brokers reserve for their own topics.", settingName);
        }

        if (value.AsSpan().IndexOfAny('\uFFFE', '\uFFFF') >= 0 || !IsWellFormedUtf16(value))
        {
            throw new ArgumentException($"{settingName} contains a non-character or an unpaired surrogate; topics are UTF-8 text.", settingName);
        }
    }

    private static bool IsWellFormedUtf16(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            if (char.IsHighSurrogate(value[i]))
            {
                if (i + 1 >= value.Length || !char.IsLowSurrogate(value[i + 1]))
                {
                    return false;
                }

                i++;
            }
            else if (char.IsLowSurrogate(value[i]))
            {
                return false;
            }
        }

        return true;
    }

    private static void CheckLength(string topic, string settingName)
    {
        var bytes = Encoding.UTF8.GetByteCount(topic);
        if (bytes > MaxTopicBytes)
        {
            throw new ArgumentException($"{settingName} makes the topic {bytes} bytes of UTF-8; MQTT allows at most {MaxTopicBytes}.", settingName);
        }
    }

    private static string Printable(string value) =>
        value.Length > 64 ? string.Concat(value.AsSpan(0, 64), "...").Replace("\0", "\\0", StringComparison.Ordinal) : value.Replace("\0", "\\0", StringComparison.Ordinal);
}

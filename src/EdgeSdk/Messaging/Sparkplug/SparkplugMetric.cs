using EdgeAI.Messaging.Sparkplug.Wire;
using Google.Protobuf;

namespace EdgeAI.Messaging;

/// <summary>One Sparkplug B metric: a name, a data type and a value (or null). Immutable.</summary>
/// <remarks>Create with the typed factory methods; the name is sent on births and data messages (no aliases).</remarks>
public sealed class SparkplugMetric
{
    private readonly ulong _integer;
    private readonly double _real;
    private readonly string? _text;
    private readonly byte[]? _bytes;

    private SparkplugMetric(string name, SparkplugDataType dataType, bool isNull, ulong integer = 0, double real = 0, string? text = null, byte[]? bytes = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        DataType = dataType;
        IsNull = isNull;
        _integer = integer;
        _real = real;
        _text = text;
        _bytes = bytes;
    }

    /// <summary>The metric name (Sparkplug uses <c>/</c> to build folders, e.g. <c>inspection/score</c>).</summary>
    public string Name { get; }

    /// <summary>The Sparkplug data type.</summary>
    public SparkplugDataType DataType { get; }

    /// <summary>Whether the value is explicitly null.</summary>
    public bool IsNull { get; }

    /// <summary>A 32-bit integer metric.</summary>
    /// <param name="name">Metric name.</param>
    /// <param name="value">Value.</param>
    /// <returns>The metric.</returns>
    public static SparkplugMetric Int32(string name, int value) => new(name, SparkplugDataType.Int32, false, integer: unchecked((uint)value));

    /// <summary>A 64-bit integer metric.</summary>
    /// <param name="name">Metric name.</param>
    /// <param name="value">Value.</param>
    /// <returns>The metric.</returns>
    public static SparkplugMetric Int64(string name, long value) => new(name, SparkplugDataType.Int64, false, integer: unchecked((ulong)value));

    /// <summary>A 64-bit unsigned integer metric.</summary>
    /// <param name="name">Metric name.</param>
    /// <param name="value">Value.</param>
    /// <returns>The metric.</returns>
    public static SparkplugMetric UInt64(string name, ulong value) => new(name, SparkplugDataType.UInt64, false, integer: value);

    /// <summary>A 32-bit float metric.</summary>
    /// <param name="name">Metric name.</param>
    /// <param name="value">Value.</param>
    /// <returns>The metric.</returns>
    public static SparkplugMetric Float(string name, float value) => new(name, SparkplugDataType.Float, false, real: value);

    /// <summary>A 64-bit float metric.</summary>
    /// <param name="name">Metric name.</param>
    /// <param name="value">Value.</param>
    /// <returns>The metric.</returns>
    public static SparkplugMetric Double(string name, double value) => new(name, SparkplugDataType.Double, false, real: value);

    /// <summary>A boolean metric.</summary>
    /// <param name="name">Metric name.</param>
    /// <param name="value">Value.</param>
    /// <returns>The metric.</returns>
    public static SparkplugMetric Boolean(string name, bool value) => new(name, SparkplugDataType.Boolean, false, integer: value ? 1UL : 0UL);

    /// <summary>A string metric.</summary>
    /// <param name="name">Metric name.</param>
    /// <param name="value">Value.</param>
    /// <returns>The metric.</returns>
    public static SparkplugMetric String(string name, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new(name, SparkplugDataType.String, false, text: value);
    }

    /// <summary>A date-time metric, sent as milliseconds since the Unix epoch.</summary>
    /// <param name="name">Metric name.</param>
    /// <param name="value">Value; must not be before 1970.</param>
    /// <returns>The metric.</returns>
    public static SparkplugMetric DateTime(string name, DateTimeOffset value)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(value, DateTimeOffset.UnixEpoch);
        return new(name, SparkplugDataType.DateTime, false, integer: (ulong)value.ToUnixTimeMilliseconds());
    }

    /// <summary>A bytes metric; the array is copied.</summary>
    /// <param name="name">Metric name.</param>
    /// <param name="value">Value.</param>
    /// <returns>The metric.</returns>
    public static SparkplugMetric Bytes(string name, ReadOnlySpan<byte> value) => new(name, SparkplugDataType.Bytes, false, bytes: value.ToArray());

    /// <summary>An explicitly null metric of a type.</summary>
    /// <param name="name">Metric name.</param>
    /// <param name="dataType">Its type.</param>
    /// <returns>The metric.</returns>
    public static SparkplugMetric Null(string name, SparkplugDataType dataType) => new(name, dataType, true);

    internal SpbPayload.Types.SpbMetric ToWire(ulong timestampMs)
    {
        var wire = new SpbPayload.Types.SpbMetric { Name = Name, Timestamp = timestampMs, Datatype = (uint)DataType };
        if (IsNull)
        {
            wire.IsNull = true;
            return wire;
        }

        switch (DataType)
        {
            case SparkplugDataType.Int32:
                wire.IntValue = (uint)_integer;
                break;
            case SparkplugDataType.Int64 or SparkplugDataType.UInt64 or SparkplugDataType.DateTime:
                wire.LongValue = _integer;
                break;
            case SparkplugDataType.Float:
                wire.FloatValue = (float)_real;
                break;
            case SparkplugDataType.Double:
                wire.DoubleValue = _real;
                break;
            case SparkplugDataType.Boolean:
                wire.BooleanValue = _integer != 0;
                break;
            case SparkplugDataType.String:
                wire.StringValue = _text;
                break;
            case SparkplugDataType.Bytes:
                wire.BytesValue = ByteString.CopyFrom(_bytes);
                break;
            default:
                throw new InvalidOperationException($"Metric '{Name}' has unsupported data type {DataType}.");
        }

        return wire;
    }
}

using System.Globalization;

namespace EdgeAI.Quantization.Onnx;

/// <summary>
/// One dimension of a declared tensor shape: a fixed size, a named symbolic size (<c>"N"</c>, <c>"batch"</c>),
/// or unknown. Converts implicitly from <see cref="long"/> and <see cref="string"/>, so a shape can be
/// written as <c>("N", 3, 224, 224)</c>.
/// </summary>
public readonly record struct OnnxDimension
{
    private OnnxDimension(long? value, string? parameter)
    {
        Value = value;
        Parameter = parameter;
    }

    /// <summary>An unnamed dimension whose size is not known until run time.</summary>
    public static OnnxDimension Unknown => default;

    /// <summary>The fixed size, or <see langword="null"/> when the dimension is dynamic.</summary>
    public long? Value { get; }

    /// <summary>The symbolic name of a dynamic dimension (e.g. <c>"N"</c>), if it has one.</summary>
    public string? Parameter { get; }

    /// <summary>Whether the size is only known at run time.</summary>
    public bool IsDynamic => Value is null;

    /// <summary>A fixed dimension.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is negative.</exception>
    public static OnnxDimension FromInt64(long value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        return new OnnxDimension(value, null);
    }

    /// <summary>A dynamic dimension named <paramref name="parameter"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="parameter"/> is null or empty.</exception>
    public static OnnxDimension FromString(string parameter)
    {
        ArgumentException.ThrowIfNullOrEmpty(parameter);
        return new OnnxDimension(null, parameter);
    }

    /// <summary>See <see cref="FromInt64"/>.</summary>
    public static implicit operator OnnxDimension(long value) => FromInt64(value);

    /// <summary>See <see cref="FromString"/>.</summary>
    public static implicit operator OnnxDimension(string parameter) => FromString(parameter);

    /// <summary>The size, the symbolic name, or <c>?</c>.</summary>
    public override string ToString() => Value?.ToString(CultureInfo.InvariantCulture) ?? Parameter ?? "?";
}

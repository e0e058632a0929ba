using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeAI.Inference;

/// <summary>Maps the manifest's element-type names to ONNX Runtime's and back.</summary>
public static class TensorDataTypes
{
    private static readonly (string Name, TensorElementType Type, int Size, Type ClrType)[] Known =
    [
        ("float32", TensorElementType.Float, 4, typeof(float)),
        ("float16", TensorElementType.Float16, 2, typeof(Half)),
        ("float64", TensorElementType.Double, 8, typeof(double)),
        ("int8", TensorElementType.Int8, 1, typeof(sbyte)),
        ("uint8", TensorElementType.UInt8, 1, typeof(byte)),
        ("int16", TensorElementType.Int16, 2, typeof(short)),
        ("uint16", TensorElementType.UInt16, 2, typeof(ushort)),
        ("int32", TensorElementType.Int32, 4, typeof(int)),
        ("int64", TensorElementType.Int64, 8, typeof(long)),
        ("bool", TensorElementType.Bool, 1, typeof(bool)),
    ];

    /// <summary>The names a manifest may use, for error messages and docs.</summary>
    public static string SupportedNames => string.Join(", ", Known.Select(k => k.Name));

    /// <summary>Looks up an element type by manifest name.</summary>
    /// <returns><see langword="false"/> when the name is not a supported type.</returns>
    public static bool TryParse(string? name, out TensorElementType type)
    {
        foreach (var k in Known)
        {
            if (string.Equals(k.Name, name, StringComparison.Ordinal))
            {
                type = k.Type;
                return true;
            }
        }

        type = default;
        return false;
    }

    /// <summary>The manifest name of an ONNX Runtime element type (e.g. <c>float32</c>).</summary>
    public static string NameOf(TensorElementType type)
    {
        foreach (var k in Known)
        {
            if (k.Type == type)
            {
                return k.Name;
            }
        }

        return type.ToString().ToLowerInvariant();
    }

    /// <summary>Bytes per element.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The type is not one the runtime supports.</exception>
    public static int SizeOf(TensorElementType type)
    {
        foreach (var k in Known)
        {
            if (k.Type == type)
            {
                return k.Size;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(type), type, $"Unsupported tensor element type; supported: {SupportedNames}.");
    }

    /// <summary>Whether <typeparamref name="T"/> is the CLR type of <paramref name="type"/>.</summary>
    public static bool Matches<T>(TensorElementType type)
        where T : unmanaged
    {
        foreach (var k in Known)
        {
            if (k.Type == type)
            {
                return k.ClrType == typeof(T);
            }
        }

        return false;
    }
}

namespace EdgeAI.Quantization.Int8;

/// <summary>
/// The arithmetic of int8 quantization as ONNX Runtime's kernels expect it: uint8 asymmetric activations,
/// int8 symmetric (zero point 0, range ±127) weights per output channel, and int32 biases whose scale is
/// input scale × weight scale.
/// </summary>
public static class QuantMath
{
    /// <summary>Largest magnitude of a symmetric int8 weight; -128 is left unused so the range is symmetric.</summary>
    public const int Int8SymmetricMax = 127;

    /// <summary>
    /// Parameters mapping [<paramref name="min"/>, <paramref name="max"/>] onto uint8 [0, 255]. The range is first
    /// widened to contain 0 so that real zero (padding, ReLU) is exact. A zero-width range gives scale 1.
    /// </summary>
    /// <exception cref="ArgumentException">A bound is not finite or <paramref name="min"/> &gt; <paramref name="max"/>.</exception>
    public static QuantParameters ComputeUInt8Asymmetric(float min, float max)
    {
        if (!float.IsFinite(min) || !float.IsFinite(max) || min > max)
        {
            throw new ArgumentException($"Range [{min}, {max}] is not a finite range with min <= max.", nameof(min));
        }

        var lo = Math.Min(min, 0f);
        var hi = Math.Max(max, 0f);
        if (hi == lo)
        {
            return new QuantParameters(1f, 0);
        }

        var scale = (hi - lo) / 255f;
        var zeroPoint = (int)Math.Clamp(MathF.Round(-lo / scale), 0, 255);
        return new QuantParameters(scale, zeroPoint);
    }

    /// <summary>
    /// Parameters mapping [<paramref name="min"/>, <paramref name="max"/>] onto the full range of
    /// <paramref name="type"/> (uint8 [0, 255] or int8 [-128, 127]), the range first widened to contain 0.
    /// </summary>
    /// <exception cref="ArgumentException">A bound is not finite or <paramref name="min"/> &gt; <paramref name="max"/>.</exception>
    public static QuantParameters ComputeAsymmetric(float min, float max, ActivationType type)
    {
        var unsigned = ComputeUInt8Asymmetric(min, max);
        return type == ActivationType.UInt8 ? unsigned : unsigned with { ZeroPoint = unsigned.ZeroPoint - 128 };
    }

    /// <summary>The smallest and largest integer of <paramref name="type"/>.</summary>
    public static (int Min, int Max) IntegerRange(ActivationType type) => type == ActivationType.UInt8 ? (0, 255) : (-128, 127);

    /// <summary>The real values the smallest and largest integer of <paramref name="type"/> stand for under <paramref name="parameters"/>.</summary>
    public static (float Min, float Max) RepresentableRange(QuantParameters parameters, ActivationType type)
    {
        var (lo, hi) = IntegerRange(type);
        return ((lo - parameters.ZeroPoint) * parameters.Scale, (hi - parameters.ZeroPoint) * parameters.Scale);
    }

    /// <summary>Symmetric int8 parameters for values within ±<paramref name="absMax"/>: scale absMax / 127, zero point 0 (scale 1 for an all-zero range).</summary>
    /// <exception cref="ArgumentException"><paramref name="absMax"/> is negative or not finite.</exception>
    public static QuantParameters ComputeInt8Symmetric(float absMax)
    {
        if (!float.IsFinite(absMax) || absMax < 0)
        {
            throw new ArgumentException($"Magnitude {absMax} is not a finite value >= 0.", nameof(absMax));
        }

        return new QuantParameters(absMax == 0 ? 1f : absMax / Int8SymmetricMax, 0);
    }

    /// <summary>Quantizes to uint8 like QuantizeLinear: round half to even, add the zero point, saturate to [0, 255].</summary>
    public static void QuantizeUInt8(ReadOnlySpan<float> values, QuantParameters parameters, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, values.Length, nameof(destination));
        for (var i = 0; i < values.Length; i++)
        {
            destination[i] = (byte)Math.Clamp(MathF.Round(values[i] / parameters.Scale) + parameters.ZeroPoint, 0f, 255f);
        }
    }

    /// <summary>Quantizes to int8 like QuantizeLinear: round half to even, add the zero point, saturate to [-128, 127].</summary>
    public static void QuantizeInt8(ReadOnlySpan<float> values, QuantParameters parameters, Span<sbyte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, values.Length, nameof(destination));
        for (var i = 0; i < values.Length; i++)
        {
            destination[i] = (sbyte)Math.Clamp(MathF.Round(values[i] / parameters.Scale) + parameters.ZeroPoint, -128f, 127f);
        }
    }

    /// <summary>Reads uint8 values back like DequantizeLinear: (q - zero point) × scale.</summary>
    public static void Dequantize(ReadOnlySpan<byte> values, QuantParameters parameters, Span<float> destination)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, values.Length, nameof(destination));
        for (var i = 0; i < values.Length; i++)
        {
            destination[i] = (values[i] - parameters.ZeroPoint) * parameters.Scale;
        }
    }

    /// <summary>
    /// Quantizes a weight tensor to int8 with one symmetric scale per slice along <paramref name="axis"/>
    /// (output channels: axis 0 of a Conv weight [M, C/g, kH, kW], axis 1 of a MatMul weight [K, N]).
    /// </summary>
    /// <param name="weights">Elements in C order.</param>
    /// <param name="dims">The weight's dimensions.</param>
    /// <param name="axis">The channel axis.</param>
    /// <param name="quantized">Receives the int8 weights, same layout as <paramref name="weights"/>.</param>
    /// <returns>The scale of each channel (zero points are all 0).</returns>
    /// <exception cref="ArgumentException">The sizes do not match the dims, or a weight is not finite.</exception>
    public static float[] QuantizeInt8PerChannel(ReadOnlySpan<float> weights, ReadOnlySpan<long> dims, int axis, Span<sbyte> quantized)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(axis);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(axis, dims.Length);
        long outer = 1, inner = 1;
        for (var d = 0; d < axis; d++)
        {
            outer *= dims[d];
        }

        for (var d = axis + 1; d < dims.Length; d++)
        {
            inner *= dims[d];
        }

        var channels = (int)dims[axis];
        if (outer * channels * inner != weights.Length || quantized.Length < weights.Length)
        {
            throw new ArgumentException($"{weights.Length} weights do not match dims [{string.Join(", ", dims.ToArray())}].", nameof(dims));
        }

        var absMax = new float[channels];
        for (long o = 0; o < outer; o++)
        {
            for (var c = 0; c < channels; c++)
            {
                foreach (var w in weights.Slice((int)(((o * channels) + c) * inner), (int)inner))
                {
                    absMax[c] = Math.Max(absMax[c], Math.Abs(w));
                }
            }
        }

        var scales = new float[channels];
        for (var c = 0; c < channels; c++)
        {
            scales[c] = ComputeInt8Symmetric(absMax[c]).Scale;
        }

        for (long o = 0; o < outer; o++)
        {
            for (var c = 0; c < channels; c++)
            {
                var start = (int)(((o * channels) + c) * inner);
                QuantizeInt8(weights.Slice(start, (int)inner), new QuantParameters(scales[c], 0), quantized.Slice(start, (int)inner));
            }
        }

        return scales;
    }

    /// <summary>
    /// Quantizes a bias to int32 with scale inputScale × weightScales[c] and zero point 0, so the integer
    /// accumulator of an int8 Conv/Gemm can add it directly.
    /// </summary>
    /// <param name="bias">One value per output channel.</param>
    /// <param name="inputScale">Scale of the (uint8) input activation.</param>
    /// <param name="weightScales">Per-channel weight scales (or one, for per-tensor).</param>
    /// <param name="quantized">Receives the int32 values.</param>
    /// <returns>The bias scale of each channel.</returns>
    /// <exception cref="ArgumentException">The lengths disagree.</exception>
    public static float[] QuantizeBias(ReadOnlySpan<float> bias, float inputScale, ReadOnlySpan<float> weightScales, Span<int> quantized)
    {
        if (weightScales.Length != 1 && weightScales.Length != bias.Length)
        {
            throw new ArgumentException($"{weightScales.Length} weight scales for {bias.Length} bias values; expected 1 or one per value.", nameof(weightScales));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(quantized.Length, bias.Length, nameof(quantized));
        var scales = new float[bias.Length];
        for (var c = 0; c < bias.Length; c++)
        {
            scales[c] = inputScale * weightScales[weightScales.Length == 1 ? 0 : c];
            var q = Math.Round((double)bias[c] / scales[c], MidpointRounding.ToEven);
            quantized[c] = (int)Math.Clamp(q, int.MinValue, int.MaxValue);
        }

        return scales;
    }
}

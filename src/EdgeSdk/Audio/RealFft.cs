namespace EdgeAI.Audio;

/// <summary>
/// Iterative radix-2 Cooley–Tukey FFT of a power-of-two size with precomputed twiddles and bit-reversal
/// table, used on real input (imaginary part zero). Allocation-free after construction; not thread-safe.
/// </summary>
internal sealed class RealFft
{
    private readonly int[] _reversed;
    private readonly float[] _cos;
    private readonly float[] _sin;
    private readonly float[] _re;
    private readonly float[] _im;

    public RealFft(int size)
    {
        if (size < 2 || (size & (size - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "Expected a power of two of at least 2.");
        }

        Size = size;
        _re = new float[size];
        _im = new float[size];
        _cos = new float[size / 2];
        _sin = new float[size / 2];
        for (var k = 0; k < size / 2; k++)
        {
            var angle = -2 * Math.PI * k / size;
            _cos[k] = (float)Math.Cos(angle);
            _sin[k] = (float)Math.Sin(angle);
        }

        _reversed = new int[size];
        var bits = System.Numerics.BitOperations.Log2((uint)size);
        for (var i = 0; i < size; i++)
        {
            var r = 0;
            for (var b = 0; b < bits; b++)
            {
                r |= ((i >> b) & 1) << (bits - 1 - b);
            }

            _reversed[i] = r;
        }
    }

    public int Size { get; }

    /// <summary>Real parts of the last transform (all <see cref="Size"/> bins).</summary>
    public ReadOnlySpan<float> Real => _re;

    /// <summary>Imaginary parts of the last transform.</summary>
    public ReadOnlySpan<float> Imaginary => _im;

    /// <summary>Transforms <paramref name="input"/>, zero-padded to <see cref="Size"/>.</summary>
    public void Forward(ReadOnlySpan<float> input)
    {
        var n = Size;
        Array.Clear(_re);
        Array.Clear(_im);
        for (var i = 0; i < input.Length; i++)
        {
            _re[_reversed[i]] = input[i];
        }

        for (var length = 2; length <= n; length <<= 1)
        {
            var halfLength = length >> 1;
            var step = n / length;
            for (var start = 0; start < n; start += length)
            {
                for (var k = 0; k < halfLength; k++)
                {
                    float wr = _cos[k * step], wi = _sin[k * step];
                    int a = start + k, b = a + halfLength;
                    var tr = (_re[b] * wr) - (_im[b] * wi);
                    var ti = (_re[b] * wi) + (_im[b] * wr);
                    _re[b] = _re[a] - tr;
                    _im[b] = _im[a] - ti;
                    _re[a] += tr;
                    _im[a] += ti;
                }
            }
        }
    }
}

namespace EdgeAI.Vision;

/// <summary>
/// Sampling table for one axis of a bilinear resize: for each output index, the two source indices and the
/// weight of the second. Allocated once per output size; refilled (without allocating) when the source size changes.
/// </summary>
/// <remarks>
/// Half-pixel centers, as OpenCV's <c>INTER_LINEAR</c> and PyTorch's <c>align_corners=False</c>: output pixel
/// <c>d</c> samples source coordinate <c>start + (d + 0.5) * length / outputSize - 0.5</c>, clamped to
/// <c>[0, sourceSize - 1]</c> (edge pixels are replicated). No antialiasing filter is applied when shrinking.
/// </remarks>
internal sealed class BilinearAxis
{
    private int _sourceSize = -1;
    private double _start = double.NaN;
    private double _length = double.NaN;

    public BilinearAxis(int outputSize)
    {
        Index0 = new int[outputSize];
        Index1 = new int[outputSize];
        Weight1 = new float[outputSize];
    }

    public int[] Index0 { get; }

    public int[] Index1 { get; }

    public float[] Weight1 { get; }

    /// <summary>Whether the last <see cref="Fill"/> maps output index d to source index d with weight 0 (same size, whole axis).</summary>
    public bool IsIdentity { get; private set; }

    /// <summary>Fills the table for a source axis of <paramref name="sourceSize"/> pixels of which [start, start + length) is used.</summary>
    public void Fill(int sourceSize, double start, double length)
    {
        if (sourceSize == _sourceSize && start == _start && length == _length)
        {
            return;
        }

        var scale = length / Index0.Length;
        var last = sourceSize - 1;
        for (var d = 0; d < Index0.Length; d++)
        {
            var s = Math.Clamp(start + ((d + 0.5) * scale) - 0.5, 0.0, last);
            var i0 = (int)Math.Floor(s);
            Index0[d] = i0;
            Index1[d] = Math.Min(i0 + 1, last);
            Weight1[d] = (float)(s - i0);
        }

        _sourceSize = sourceSize;
        _start = start;
        _length = length;
        // The sample position is then (d + 0.5) * 1 - 0.5 = d exactly in floating point.
        IsIdentity = sourceSize == Index0.Length && start == 0 && length == sourceSize;
    }
}

namespace EdgeAI.Agents.Inspection;

/// <summary>
/// Finds the hot regions of a heatmap: cells at or above half of the map's range (after min-max scaling to
/// [0, 1], the same half-peak rule as the frame's box), grouped into 8-connected components. Buffers are
/// sized once for the grid; finding regions allocates nothing.
/// </summary>
/// <remarks>Not thread-safe; one per <see cref="DefectInspector"/>.</remarks>
internal sealed class HeatmapRegions
{
    /// <summary>Scaled heat at or above which a cell belongs to a region.</summary>
    public const float HalfPeak = 0.5f;

    private readonly int _width;
    private readonly int _height;
    private readonly float[] _scaled;
    private readonly bool[] _visited;
    private readonly int[] _stack;

    public HeatmapRegions(int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        _width = width;
        _height = height;
        _scaled = new float[width * height];
        _visited = new bool[width * height];
        _stack = new int[width * height];
    }

    /// <summary>At most this many regions exist on the grid (8-connected components cannot touch).</summary>
    public int MaxRegions => ((_width + 1) / 2) * ((_height + 1) / 2);

    /// <summary>Min-max scales <paramref name="map"/> to [0, 1] into <paramref name="scaled"/>; a flat map scales to 0.</summary>
    public static void Scale(ReadOnlySpan<float> map, Span<float> scaled)
    {
        var min = System.Numerics.Tensors.TensorPrimitives.Min(map);
        var max = System.Numerics.Tensors.TensorPrimitives.Max(map);
        var range = max - min;
        if (!(range > 0))
        {
            scaled[..map.Length].Clear();
            return;
        }

        System.Numerics.Tensors.TensorPrimitives.Subtract(map, min, scaled);
        System.Numerics.Tensors.TensorPrimitives.Multiply(scaled[..map.Length], 1f / range, scaled);
    }

    /// <summary>Writes the regions of <paramref name="map"/> (row-major, width x height) in scan order of their first cell.</summary>
    /// <param name="map">Raw heat values.</param>
    /// <param name="regions">Receives the regions; at least <see cref="MaxRegions"/> long to be sure to hold them all.</param>
    /// <returns>How many regions were written (extra ones are not reported).</returns>
    public int Find(ReadOnlySpan<float> map, Span<CellRegion> regions)
    {
        if (map.Length != _scaled.Length)
        {
            throw new ArgumentException($"Heatmap has {map.Length} cells; expected {_width}x{_height}.", nameof(map));
        }

        Scale(map, _scaled);
        Array.Clear(_visited);
        var count = 0;
        for (var start = 0; start < _scaled.Length && count < regions.Length; start++)
        {
            if (_visited[start] || _scaled[start] < HalfPeak)
            {
                continue;
            }

            regions[count++] = Flood(start);
        }

        return count;
    }

    private CellRegion Flood(int start)
    {
        int top = _height, left = _width, bottom = -1, right = -1, cells = 0;
        var peak = 0f;
        var sp = 0;
        _stack[sp++] = start;
        _visited[start] = true;
        while (sp > 0)
        {
            var cell = _stack[--sp];
            int row = cell / _width, col = cell % _width;
            cells++;
            peak = Math.Max(peak, _scaled[cell]);
            top = Math.Min(top, row);
            bottom = Math.Max(bottom, row);
            left = Math.Min(left, col);
            right = Math.Max(right, col);
            for (var dr = -1; dr <= 1; dr++)
            {
                for (var dc = -1; dc <= 1; dc++)
                {
                    int r = row + dr, c = col + dc;
                    if (r < 0 || r >= _height || c < 0 || c >= _width)
                    {
                        continue;
                    }

                    var next = (r * _width) + c;
                    if (!_visited[next] && _scaled[next] >= HalfPeak)
                    {
                        _visited[next] = true;
                        _stack[sp++] = next;
                    }
                }
            }
        }

        return new CellRegion(left, top, right - left + 1, bottom - top + 1, cells, peak);
    }
}

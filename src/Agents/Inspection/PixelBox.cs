namespace EdgeAI.Agents.Inspection;

/// <summary>A rectangle in frame pixels, published as <c>[x, y, width, height]</c>.</summary>
/// <param name="X">Left column.</param>
/// <param name="Y">Top row.</param>
/// <param name="Width">Width in pixels (0 for an empty box).</param>
/// <param name="Height">Height in pixels.</param>
internal readonly record struct PixelBox(int X, int Y, int Width, int Height)
{
    /// <summary>The box as the published array <c>[x, y, width, height]</c>.</summary>
    public int[] ToArray() => [X, Y, Width, Height];
}

using EdgeAI.Vision;

namespace EdgeAI.Sdk.Tests.Vision;

public sealed class HeatmapOverlayTests
{
    [Theory]
    [InlineData(0f, 0, 0, 0.5)] // dark blue
    [InlineData(0.25f, 0, 0.5, 1)]
    [InlineData(0.5f, 0.5, 1, 0.5)]
    [InlineData(0.75f, 1, 0.5, 0)]
    [InlineData(1f, 0.5, 0, 0)] // dark red
    [InlineData(float.NaN, 0, 0, 0.5)]
    [InlineData(7f, 0.5, 0, 0)]
    public void Jet_has_the_standard_anchor_colors(float v, double r, double g, double b)
    {
        var (R, G, B) = HeatmapOverlay.Jet(v);
        Assert.Equal(r, R, 6);
        Assert.Equal(g, G, 6);
        Assert.Equal(b, B, 6);
    }

    [Fact]
    public void Png_overlay_decodes_back_to_the_blended_pixels()
    {
        const int W = 12, H = 8;
        var pixels = TestImages.Pattern(W, H, 3);
        var heat = new float[W * H];
        for (var i = 0; i < heat.Length; i++)
        {
            heat[i] = (i % W) / (float)(W - 1); // left cold, right hot
        }

        using var image = TestImages.FrameOf(pixels, W, H, PixelFormat.Rgb24);
        using var png = new MemoryStream();
        HeatmapOverlay.WritePng(image, heat, W, H, png, opacity: 0.4f);

        using var decoded = new ImageDecoder().Decode(png.ToArray(), PixelFormat.Rgb24, "overlay.png", 0, DateTimeOffset.UnixEpoch);
        Assert.Equal((W, H), (decoded.Width, decoded.Height));
        var actual = decoded.Pixels.ToArray();
        for (var i = 0; i < W * H; i++)
        {
            // Independent jet: piecewise-linear through the anchors (0: 0,0,.5) (.125: 0,0,1) (.375: 0,1,1) (.625: 1,1,0) (.875: 1,0,0) (1: .5,0,0).
            var jet = JetByAnchors(heat[i]);
            for (var c = 0; c < 3; c++)
            {
                var expected = (0.6 * pixels[(3 * i) + c]) + (0.4 * 255 * jet[c]);
                Assert.InRange(actual[(3 * i) + c], expected - 0.51, expected + 0.51);
            }
        }
    }

    [Fact]
    public void Small_heatmap_is_stretched_over_the_image()
    {
        // 2x2 heatmap over a 6x4 black gray image: the corners take the corner heat exactly (edge clamping).
        using var image = TestImages.FrameOf(new byte[6 * 4], 6, 4, PixelFormat.Gray8);
        var rgb = new byte[6 * 4 * 3];
        HeatmapOverlay.Render(image, [0f, 1f, 0.5f, float.NaN], 2, 2, rgb, opacity: 1f);

        Assert.Equal(new byte[] { 0, 0, 128 }, rgb[..3]); // top-left: heat 0
        Assert.Equal(new byte[] { 128, 0, 0 }, rgb[15..18]); // top-right: heat 1
        Assert.Equal(new byte[] { 128, 255, 128 }, rgb[54..57]); // bottom-left: heat 0.5
        Assert.Equal(new byte[] { 0, 0, 128 }, rgb[69..72]); // bottom-right: NaN -> 0
    }

    [Fact]
    public void Mismatched_sizes_are_refused()
    {
        using var image = TestImages.FrameOf(new byte[12], 2, 2, PixelFormat.Rgb24);
        var ex = Assert.Throws<ArgumentException>(() => HeatmapOverlay.Render(image, new float[5], 2, 2, new byte[12]));
        Assert.Contains("expected 2x2 = 4", ex.Message, StringComparison.Ordinal);
    }

    private static double[] JetByAnchors(double v)
    {
        double[] at = [0, 0.125, 0.375, 0.625, 0.875, 1];
        double[][] rgb = [[0, 0, 0.5], [0, 0, 1], [0, 1, 1], [1, 1, 0], [1, 0, 0], [0.5, 0, 0]];
        var k = 0;
        while (k < at.Length - 2 && v > at[k + 1])
        {
            k++;
        }

        var t = (v - at[k]) / (at[k + 1] - at[k]);
        return [.. Enumerable.Range(0, 3).Select(c => rgb[k][c] + ((rgb[k + 1][c] - rgb[k][c]) * t))];
    }
}

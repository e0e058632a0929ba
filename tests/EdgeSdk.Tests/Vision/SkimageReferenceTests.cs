using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using EdgeAI.TestSupport;
using EdgeAI.Vision;

namespace EdgeAI.Sdk.Tests.Vision;

/// <summary>
/// The preprocessing against a third-party implementation: scikit-image's <c>transform.resize</c> (order 1,
/// edge mode, no antialiasing: bilinear on half-pixel centers, the OpenCV INTER_LINEAR convention), run by
/// Debian's python3 with python3-skimage and python3-numpy.
/// </summary>
public sealed class SkimageReferenceTests : IDisposable
{
    // float32 interpolation of values up to 255 against float64: a few float ulps of 255 (~3e-5 each)
    // divided by 255 * std (std ~0.22) gives ~5e-7; measured worst case 7.2e-7. A sampling-position or
    // weight mistake shows as 1e-3 or more. 1e-5 leaves a 10x margin.
    private const double Tolerance = 1e-5;

    private const string Script = """
        import sys
        import numpy as np
        from skimage.transform import resize
        src, h, w, c, oh, ow, oc, out = sys.argv[1:9]
        mean = np.array([float(v) for v in sys.argv[9].split(',')])
        std = np.array([float(v) for v in sys.argv[10].split(',')])
        h, w, c, oh, ow, oc = int(h), int(w), int(c), int(oh), int(ow), int(oc)
        img = np.fromfile(src, dtype=np.uint8).reshape(h, w, c).astype(np.float64)
        if c == 3 and oc == 1:
            img = (img @ np.array([0.299, 0.587, 0.114]))[:, :, None]
        elif c == 1 and oc == 3:
            img = np.repeat(img, 3, axis=2)
        r = resize(img, (oh, ow, oc), order=1, mode='edge', anti_aliasing=False, preserve_range=True)
        r = (r / 255.0 - mean) / std
        np.ascontiguousarray(r.transpose(2, 0, 1)).astype('<f8').tofile(out)
        """;

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(97, 61, 3, 32, 24, 3)] // shrink
    [InlineData(13, 9, 3, 40, 30, 3)] // enlarge
    [InlineData(45, 33, 3, 28, 28, 1)] // RGB to gray
    [InlineData(30, 20, 1, 16, 12, 3)] // gray to RGB
    public void Stretch_resize_and_normalize_match_scikit_image(int w, int h, int c, int outW, int outH, int outC)
    {
        float[] mean = outC == 3 ? [0.485f, 0.456f, 0.406f] : [0.5f];
        float[] std = outC == 3 ? [0.229f, 0.224f, 0.225f] : [0.25f];
        var pixels = TestImages.Pattern(w, h, c, seed: 11);

        using var frame = TestImages.FrameOf(pixels, w, h, c == 3 ? PixelFormat.Rgb24 : PixelFormat.Gray8);
        var preprocessor = new ImagePreprocessor(new ImagePreprocessorOptions { Width = outW, Height = outH, Channels = outC, Mean = mean, Std = std });
        var actual = new float[preprocessor.TensorLength];
        preprocessor.Process(frame, actual);

        var expected = RunScikitImage(pixels, h, w, c, outH, outW, outC, mean, std);
        Assert.Equal(expected.Length, actual.Length);
        var worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        Assert.InRange(worst, 0.0, Tolerance);
    }

    private double[] RunScikitImage(byte[] pixels, int h, int w, int c, int oh, int ow, int oc, float[] mean, float[] std)
    {
        var script = _dir.File("reference.py");
        File.WriteAllText(script, Script);
        var input = _dir.File("in.bin");
        var output = _dir.File("out.bin");
        File.WriteAllBytes(input, pixels);

        // Debian's interpreter, where python3-numpy and python3-skimage install (a pyenv python3 on PATH may lack them).
        var python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
        var start = new ProcessStartInfo(python) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { script, input, $"{h}", $"{w}", $"{c}", $"{oh}", $"{ow}", $"{oc}", output, Join(mean), Join(std) })
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(60_000), "python3 reference did not finish in 60 s");
        Assert.True(process.ExitCode == 0, $"python3 reference failed (needs Debian packages python3-numpy and python3-skimage): {stderr.Result}");
        return MemoryMarshal.Cast<byte, double>(File.ReadAllBytes(output)).ToArray();
    }

    private static string Join(float[] values) => string.Join(',', values.Select(v => ((double)v).ToString("R", CultureInfo.InvariantCulture)));
}

using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using EdgeAI.Vision;
using StbImageSharp;
using StbImageWriteSharp;
using ColorComponents = StbImageWriteSharp.ColorComponents;

namespace EdgeAI.Bench;

/// <summary>
/// The per-frame vision path: decoding a camera-sized JPEG/PNG and preprocessing a frame into a 3x224x224
/// normalized tensor (center crop, ImageNet mean/std). Preprocessing should show 0 B allocated. Each decode is
/// measured beside its baseline, StbImageSharp's <see cref="ImageResult.FromStream"/> copied into a pooled frame (what
/// <see cref="ImageDecoder"/> did before it read stb's native buffer directly).
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class VisionBenchmarks
{
    private readonly ImageDecoder _decoder = new();
    private byte[] _jpeg = [];
    private byte[] _png = [];
    private Frame? _frame;
    private ImagePreprocessor? _preprocessor;
    private float[] _tensor = [];

    [Params(640, 1280)]
    public int Width { get; set; }

    private int Height => Width * 9 / 16;

    [GlobalSetup]
    public void Setup()
    {
        var pixels = new byte[Width * Height * 3];
        for (var i = 0; i < pixels.Length; i++)
        {
            pixels[i] = (byte)(127 + (127 * Math.Sin((i * 0.001) + (i % 3))));
        }

        _jpeg = Encode(s => new ImageWriter().WriteJpg(pixels, Width, Height, ColorComponents.RedGreenBlue, s, 90));
        _png = Encode(s => new ImageWriter().WritePng(pixels, Width, Height, ColorComponents.RedGreenBlue, s));
        _frame = _decoder.Decode(_png, PixelFormat.Rgb24, "bench", 0, default);
        _preprocessor = new ImagePreprocessor(new ImagePreprocessorOptions
        {
            Width = 224, Height = 224, Channels = 3,
            Mean = [0.485f, 0.456f, 0.406f], Std = [0.229f, 0.224f, 0.225f],
            Resize = ResizeMode.CenterCrop,
        });
        _tensor = new float[_preprocessor.TensorLength];
    }

    [GlobalCleanup]
    public void Cleanup() => _frame?.Dispose();

    [Benchmark(Description = "Decode JPEG q90, ImageResult copy", Baseline = true)]
    [BenchmarkCategory("jpeg")]
    public int DecodeJpegManagedCopy() => ManagedCopy(_jpeg);

    [Benchmark(Description = "Decode JPEG q90")]
    [BenchmarkCategory("jpeg")]
    public int DecodeJpeg()
    {
        using var frame = _decoder.Decode(_jpeg, PixelFormat.Rgb24, "bench", 0, default);
        return frame.Width;
    }

    [Benchmark(Description = "Decode PNG, ImageResult copy", Baseline = true)]
    [BenchmarkCategory("png")]
    public int DecodePngManagedCopy() => ManagedCopy(_png);

    [Benchmark(Description = "Decode PNG")]
    [BenchmarkCategory("png")]
    public int DecodePng()
    {
        using var frame = _decoder.Decode(_png, PixelFormat.Rgb24, "bench", 0, default);
        return frame.Width;
    }

    [Benchmark(Description = "Preprocess to 3x224x224")]
    [BenchmarkCategory("preprocess")]
    public float Preprocess()
    {
        _preprocessor!.Process(_frame!, _tensor);
        return _tensor[0];
    }

    private static int ManagedCopy(byte[] encoded)
    {
        using var stream = new MemoryStream(encoded, writable: false);
        var result = ImageResult.FromStream(stream, StbImageSharp.ColorComponents.RedGreenBlue);
        using var frame = Frame.Rent(result.Width, result.Height, PixelFormat.Rgb24, 0, default, "bench");
        result.Data.AsSpan(0, frame.Pixels.Length).CopyTo(frame.Pixels);
        return frame.Width;
    }

    private static byte[] Encode(Action<Stream> write)
    {
        using var stream = new MemoryStream();
        write(stream);
        return stream.ToArray();
    }
}

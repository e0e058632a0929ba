using System.Runtime.InteropServices;
using EdgeAI.Inference;
using EdgeAI.TestSupport;
using EdgeAI.Vision;

namespace EdgeAI.Sdk.Tests.Vision;

public sealed class ImagePreprocessorTests
{
    // float32 interpolation of values up to 255 against float64: a few float ulps of 255 (~3e-5 each)
    // divided by 255 * std (std ~0.22) gives ~5e-7; measured worst case 7.2e-7. A sampling-position or
    // weight mistake shows as 1e-3 or more. 1e-5 leaves a 10x margin.
    private const double Tolerance = 1e-5;

    private static readonly float[] ImageNetMean = [0.485f, 0.456f, 0.406f];
    private static readonly float[] ImageNetStd = [0.229f, 0.224f, 0.225f];

    [Theory]
    [InlineData(97, 61, 32, 24)] // shrink, non-integer ratios
    [InlineData(13, 9, 40, 30)] // enlarge: edge clamping on every side
    [InlineData(64, 48, 64, 48)] // same size: exact copy
    [InlineData(1, 1, 5, 3)] // single pixel
    public void Rgb_stretch_matches_reference(int srcW, int srcH, int dstW, int dstH)
    {
        var pixels = TestImages.Pattern(srcW, srcH, 3);
        var actual = Run(pixels, srcW, srcH, PixelFormat.Rgb24, new ImagePreprocessorOptions
        {
            Width = dstW, Height = dstH, Channels = 3, Mean = ImageNetMean, Std = ImageNetStd,
        });

        var expected = ReferencePreprocessing.Run(pixels, srcW, srcH, 3, dstW, dstH, 3, ToDouble(ImageNetMean), ToDouble(ImageNetStd));
        AssertClose(expected, actual);
    }

    [Theory]
    [InlineData(120, 80, 32, 32, 1.0)] // landscape into square: sides cut
    [InlineData(50, 90, 40, 30, 1.0)] // portrait into landscape: top and bottom cut
    [InlineData(256, 256, 224, 224, 0.875)] // the ImageNet "resize 256, crop 224" recipe
    public void Rgb_center_crop_matches_reference(int srcW, int srcH, int dstW, int dstH, double fraction)
    {
        var pixels = TestImages.Pattern(srcW, srcH, 3, seed: 3);
        var actual = Run(pixels, srcW, srcH, PixelFormat.Rgb24, new ImagePreprocessorOptions
        {
            Width = dstW, Height = dstH, Channels = 3, Mean = ImageNetMean, Std = ImageNetStd,
            Resize = ResizeMode.CenterCrop, CropFraction = fraction,
        });

        var expected = ReferencePreprocessing.Run(pixels, srcW, srcH, 3, dstW, dstH, 3, ToDouble(ImageNetMean), ToDouble(ImageNetStd), centerCrop: true, cropFraction: fraction);
        AssertClose(expected, actual);
    }

    [Fact]
    public void Rgb_to_gray_matches_reference()
    {
        var pixels = TestImages.Pattern(45, 33, 3, seed: 1);
        var actual = Run(pixels, 45, 33, PixelFormat.Rgb24, new ImagePreprocessorOptions { Width = 28, Height = 28, Channels = 1, Mean = [0.5f], Std = [0.25f] });
        AssertClose(ReferencePreprocessing.Run(pixels, 45, 33, 3, 28, 28, 1, [0.5], [0.25]), actual);
    }

    [Fact]
    public void Gray_to_three_channels_matches_reference()
    {
        var pixels = TestImages.Pattern(30, 20, 1, seed: 2);
        var actual = Run(pixels, 30, 20, PixelFormat.Gray8, new ImagePreprocessorOptions { Width = 16, Height = 12, Channels = 3, Mean = ImageNetMean, Std = ImageNetStd });
        AssertClose(ReferencePreprocessing.Run(pixels, 30, 20, 1, 16, 12, 3, ToDouble(ImageNetMean), ToDouble(ImageNetStd)), actual);
    }

    [Fact]
    public void Enlarging_two_pixels_gives_the_opencv_inter_linear_values()
    {
        // Worked by hand from the half-pixel rule: destination x = 0..3 samples source x = -0.25 (clamped to 0),
        // 0.25, 0.75, 1.25 (clamped to 1), so [0, 200] becomes [0, 50, 150, 200] -- what cv2.resize gives.
        var actual = Run([0, 200], 2, 1, PixelFormat.Gray8, new ImagePreprocessorOptions { Width = 4, Height = 1, Channels = 1 });
        AssertClose([0, 50 / 255.0, 150 / 255.0, 200 / 255.0], actual);
    }

    [Fact]
    public void A_frame_at_the_output_size_gives_exactly_the_bits_of_scaling_then_shifting_each_plane()
    {
        // The same-size path skips resampling; it must still round like the general path, which writes each
        // sample as a float and then applies TensorPrimitives.Multiply(scale) and Add(bias) to every plane.
        var pixels = TestImages.Pattern(64, 48, 3, seed: 5);
        var actual = Run(pixels, 64, 48, PixelFormat.Rgb24, new ImagePreprocessorOptions { Width = 64, Height = 48, Channels = 3, Mean = ImageNetMean, Std = ImageNetStd });

        for (var c = 0; c < 3; c++)
        {
            var plane = pixels.Where((_, i) => i % 3 == c).Select(p => (float)p).ToArray();
            System.Numerics.Tensors.TensorPrimitives.Multiply(plane, (float)(1.0 / (255.0 * ImageNetStd[c])), plane);
            System.Numerics.Tensors.TensorPrimitives.Add(plane, (float)(-(double)ImageNetMean[c] / ImageNetStd[c]), plane);
            Assert.Equal(plane, actual.AsSpan(c * plane.Length, plane.Length).ToArray());
        }
    }

    [Fact]
    public void A_picture_at_the_models_size_gives_the_trainers_input_tensor()
    {
        // Independent: the input tensor the model's trainer (TorchSharp) computed for sample/image.png and committed
        // with the model. A 64x64 picture for a 64x64 model takes the no-resampling path. Tolerance 1e-5 as above
        // (the trainer's float arithmetic may round differently by an ulp or two).
        var model = Path.Combine(RepoPaths.Models, "defect-cnn");
        var manifestPath = Path.Combine(model, ModelManifest.FileName);
        var preprocessor = new ImagePreprocessor(ImagePreprocessorOptions.FromSpec(ModelManifestReader.Read(manifestPath).Preprocessing, manifestPath));
        using var frame = new ImageDecoder().Decode(File.ReadAllBytes(Path.Combine(model, "sample", "image.png")), PixelFormat.Rgb24, "image.png", 0, default);
        var tensor = new float[preprocessor.TensorLength];

        preprocessor.Process(frame, tensor);

        Assert.Equal((preprocessor.Width, preprocessor.Height), (frame.Width, frame.Height));
        var expected = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Path.Combine(model, "sample", "image.bin"))).ToArray();
        AssertClose([.. expected.Select(v => (double)v)], tensor);
    }

    [Fact]
    public void Process_allocates_nothing_after_warm_up()
    {
        var pixels = TestImages.Pattern(160, 120, 3);
        using var frame = TestImages.FrameOf(pixels, 160, 120, PixelFormat.Rgb24);
        using var gray = TestImages.FrameOf(TestImages.Pattern(160, 120, 1), 160, 120, PixelFormat.Gray8);
        var preprocessor = new ImagePreprocessor(new ImagePreprocessorOptions
        {
            Width = 64, Height = 48, Channels = 3, Mean = ImageNetMean, Std = ImageNetStd, Resize = ResizeMode.CenterCrop,
        });
        var tensor = new float[preprocessor.TensorLength];
        preprocessor.Process(frame, tensor);
        preprocessor.Process(gray, tensor);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            preprocessor.Process(i % 2 == 0 ? frame : gray, tensor);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Destination_of_the_wrong_length_is_refused()
    {
        using var frame = TestImages.FrameOf(new byte[12], 2, 2, PixelFormat.Rgb24);
        var preprocessor = new ImagePreprocessor(new ImagePreprocessorOptions { Width = 4, Height = 4, Channels = 3 });
        var ex = Assert.Throws<ArgumentException>(() => preprocessor.Process(frame, new float[47]));
        Assert.Contains("expected 48", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_from_a_manifest_spec()
    {
        var spec = new PreprocessingSpec
        {
            Kind = "image", Width = 224, Height = 160, Channels = 3, Mean = ImageNetMean, Std = ImageNetStd,
            Parameters = { ["center_crop"] = 1, ["crop_fraction"] = 0.875 },
        };

        var options = ImagePreprocessorOptions.FromSpec(spec, "models/defect/manifest.json");

        Assert.Equal((224, 160, 3, ResizeMode.CenterCrop, 0.875), (options.Width, options.Height, options.Channels, options.Resize, options.CropFraction));
        Assert.Equal(3 * 224 * 160, new ImagePreprocessor(options).TensorLength);
    }

    [Theory]
    [InlineData("audio", 32, 32, 3, 3, 3, 1f, "preprocessing.kind")]
    [InlineData("image", null, 32, 3, 3, 3, 1f, "preprocessing.width is missing")]
    [InlineData("image", 32, 32, 2, 2, 2, 1f, "channels is 2")]
    [InlineData("image", 32, 32, 3, 2, 3, 1f, "mean has 2")]
    [InlineData("image", 32, 32, 3, 3, 1, 1f, "std has 1")]
    [InlineData("image", 32, 32, 3, 3, 3, 0f, "std[0] is 0")]
    [InlineData("image", 0, 32, 3, 3, 3, 1f, "width x height is 0x32")]
    public void Invalid_spec_names_the_field(string kind, int? width, int height, int channels, int meanCount, int stdCount, float std, string expected)
    {
        var spec = new PreprocessingSpec
        {
            Kind = kind, Width = width, Height = height, Channels = channels,
            Mean = Enumerable.Repeat(0.5f, meanCount).ToArray(), Std = Enumerable.Repeat(std, stdCount).ToArray(),
        };

        var ex = Assert.Throws<ModelFormatException>(() => ImagePreprocessorOptions.FromSpec(spec, "m/manifest.json"));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Contains("m/manifest.json", ex.Message, StringComparison.Ordinal);
        Assert.Equal("m/manifest.json", ex.Path);
    }

    [Fact]
    public void Crop_fraction_out_of_range_is_refused()
    {
        var spec = new PreprocessingSpec { Kind = "image", Width = 8, Height = 8, Channels = 1, Parameters = { ["crop_fraction"] = 1.5 } };
        var ex = Assert.Throws<ModelFormatException>(() => ImagePreprocessorOptions.FromSpec(spec));
        Assert.Contains("crop_fraction is 1.5; expected a value in (0, 1]", ex.Message, StringComparison.Ordinal);
    }

    private static float[] Run(byte[] pixels, int w, int h, PixelFormat format, ImagePreprocessorOptions options)
    {
        using var frame = TestImages.FrameOf(pixels, w, h, format);
        var preprocessor = new ImagePreprocessor(options);
        var tensor = new float[preprocessor.TensorLength];
        preprocessor.Process(frame, tensor);
        return tensor;
    }

    private static double[] ToDouble(float[] values) => values.Select(v => (double)v).ToArray();

    private static void AssertClose(double[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        var worst = 0.0;
        for (var i = 0; i < expected.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]));
        }

        Assert.InRange(worst, 0.0, Tolerance);

        // Non-trivial output: the pattern spans a wide range, so a constant or zero tensor cannot pass.
        Assert.True(actual.Max() - actual.Min() > 0.1 || expected.Max() - expected.Min() < 0.1);
    }
}

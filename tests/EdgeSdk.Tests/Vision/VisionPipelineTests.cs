using EdgeAI.Inference;
using EdgeAI.TestSupport;
using EdgeAI.Vision;

namespace EdgeAI.Sdk.Tests.Vision;

/// <summary>Decode, preprocess into a real ONNX Runtime runner's input buffer, run: the path an inspection agent takes.</summary>
public sealed class VisionPipelineTests : IDisposable
{
    private const int Size = 16;
    private static readonly float[] Mean = [0.485f, 0.456f, 0.406f];
    private static readonly float[] Std = [0.229f, 0.224f, 0.225f];
    private readonly TempDirectory _dir = new();

    public VisionPipelineTests() => WriteChannelMeanModel(_dir.Path);

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Preprocessed_frame_runs_through_the_model_and_matches_the_reference()
    {
        using var model = EdgeModel.Load(_dir.Path);
        using var runner = model.CreateRunner();
        var preprocessor = new ImagePreprocessor(ImagePreprocessorOptions.FromSpec(model.Manifest.Preprocessing, model.Directory));
        var pixels = TestImages.Pattern(50, 30, 3, seed: 4);
        using var frame = new ImageDecoder().Decode(TestImages.Png(pixels, 50, 30, 3), PixelFormat.Rgb24, "part-17.png", 17, DateTimeOffset.UnixEpoch);

        preprocessor.Process(frame, runner.Input<float>(0));
        runner.Run();

        // The model outputs each channel's mean; the reference is the double-precision preprocessing.
        var reference = ReferencePreprocessing.Run(pixels, 50, 30, 3, Size, Size, 3, [.. Mean.Select(v => (double)v)], [.. Std.Select(v => (double)v)], centerCrop: true);
        var output = runner.Output<float>(0).ToArray();
        for (var c = 0; c < 3; c++)
        {
            var expected = reference.Skip(c * Size * Size).Take(Size * Size).Average();
            Assert.InRange(output[c], expected - 1e-4, expected + 1e-4);
        }
    }

    [Fact]
    public void Preprocess_and_run_allocate_nothing_after_warm_up()
    {
        using var model = EdgeModel.Load(_dir.Path);
        using var runner = model.CreateRunner();
        var preprocessor = new ImagePreprocessor(ImagePreprocessorOptions.FromSpec(model.Manifest.Preprocessing));
        using var frame = TestImages.FrameOf(TestImages.Pattern(64, 48, 3), 64, 48, PixelFormat.Rgb24);
        for (var i = 0; i < 5; i++)
        {
            preprocessor.Process(frame, runner.Input<float>(0));
            runner.Run();
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            preprocessor.Process(frame, runner.Input<float>(0));
            runner.Run();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Manifest_without_preprocessing_is_refused_by_name()
    {
        var ex = Assert.Throws<ModelFormatException>(() => ImagePreprocessorOptions.FromSpec(null, "m.json"));
        Assert.Contains("preprocessing is missing in manifest 'm.json'", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>A model [1,3,16,16] -> [1,3] (per-channel mean) with an image preprocessing spec.</summary>
    private static void WriteChannelMeanModel(string directory)
    {
        var bytes = VisionModels.ChannelMeanModelBytes(3, Size);
        File.WriteAllBytes(Path.Combine(directory, "model.fp32.onnx"), bytes);
        var manifest = new ModelManifest
        {
            Name = "channel-mean",
            Version = "1.0.0",
            Task = "regression",
            Description = "Per-channel mean of an image tensor; checks the vision preprocessing end to end.",
            Inputs = [new TensorSpec { Name = "image", Dtype = "float32", Shape = [1, 3, Size, Size] }],
            Outputs = [new TensorSpec { Name = "means", Dtype = "float32", Shape = [1, 3] }],
            Preprocessing = new PreprocessingSpec
            {
                Kind = "image", Width = Size, Height = Size, Channels = 3, Mean = Mean, Std = Std,
                Parameters = { ["center_crop"] = 1 },
            },
            Variants =
            [
                new ModelVariant
                {
                    Name = "fp32",
                    File = "model.fp32.onnx",
                    Sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)),
                    SizeBytes = bytes.Length,
                    Session = new SessionSettings { IntraOpThreads = 1 },
                },
            ],
        };
        ModelManifestReader.Write(manifest, Path.Combine(directory, ModelManifest.FileName));
    }
}

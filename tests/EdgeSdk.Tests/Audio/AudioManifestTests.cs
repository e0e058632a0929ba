using EdgeAI.Audio;
using EdgeAI.Inference;

namespace EdgeAI.Sdk.Tests.Audio;

/// <summary>The manifest's audio preprocessing fields: mel conventions, framing and waveform inputs, and the errors that name a bad field.</summary>
public sealed class AudioManifestTests
{
    [Fact]
    public void Mel_conventions_and_centred_frames_are_read_from_the_manifest()
    {
        var spec = new PreprocessingSpec { Kind = "audio", SampleRate = 22050, MelBins = 128, WindowMs = 2048 * 1000.0 / 22050, HopMs = 512 * 1000.0 / 22050, MelScale = "slaney", MelNorm = "slaney", Center = true, PadMode = "constant" };

        var options = LogMelOptions.FromSpec(spec);

        Assert.Equal((MelScale.Slaney, MelNormalization.Slaney, true, FramePadding.Constant), (options.MelScale, options.MelNormalization, options.Center, options.Padding));
        Assert.Equal((2048, 512, 2048), (options.WindowLength, options.HopLength, options.FftSize));
        var defaults = LogMelOptions.FromSpec(new PreprocessingSpec { Kind = "audio", SampleRate = 16000, MelBins = 40, WindowMs = 25, HopMs = 10, Features = "log-mel" });
        Assert.Equal((MelScale.Htk, MelNormalization.None, false, FramePadding.Reflect), (defaults.MelScale, defaults.MelNormalization, defaults.Center, defaults.Padding));
    }

    [Theory]
    [InlineData("melScale", "mel", "preprocessing.melScale in manifest 'm.json' is 'mel'; expected 'htk' or 'slaney'.")]
    [InlineData("melNorm", "area", "preprocessing.melNorm in manifest 'm.json' is 'area'; expected 'none' or 'slaney'.")]
    [InlineData("padMode", "edge", "preprocessing.padMode in manifest 'm.json' is 'edge'; expected 'reflect' or 'constant'.")]
    [InlineData("features", "mfcc", "preprocessing.features in manifest 'm.json' is 'mfcc'; log-mel features need 'log-mel' (or no features field).")]
    [InlineData("features", "waveform", "preprocessing.features in manifest 'm.json' is 'waveform'; log-mel features need 'log-mel' (or no features field); a waveform model is fed with WaveformOptions.")]
    public void Unknown_mel_settings_are_refused_naming_the_field(string field, string value, string message)
    {
        var spec = new PreprocessingSpec { Kind = "audio", SampleRate = 16000, MelBins = 40, WindowMs = 25, HopMs = 10 };
        _ = field switch
        {
            "melScale" => spec.MelScale = value,
            "melNorm" => spec.MelNorm = value,
            "padMode" => spec.PadMode = value,
            _ => spec.Features = value,
        };

        Assert.Equal(message, Assert.Throws<ModelFormatException>(() => LogMelOptions.FromSpec(spec, "m.json")).Message);
    }

    [Fact]
    public void Waveform_inputs_need_kind_audio_features_waveform_and_a_rate_and_no_log_mel_fields()
    {
        Assert.Equal(8000, WaveformOptions.FromSpec(new PreprocessingSpec { Kind = "audio", Features = "waveform", SampleRate = 8000 }).SampleRate);

        string Error(PreprocessingSpec? spec) => Assert.Throws<ModelFormatException>(() => WaveformOptions.FromSpec(spec, "m.json")).Message;
        Assert.Contains("preprocessing is missing in manifest 'm.json'; a waveform model needs kind 'audio', features 'waveform' and sampleRate", Error(null), StringComparison.Ordinal);
        Assert.Contains("is kind 'audio' with features '(none)'; expected kind 'audio' with features 'waveform'", Error(new PreprocessingSpec { Kind = "audio", SampleRate = 16000 }), StringComparison.Ordinal);
        Assert.Contains("is kind 'image' with features 'waveform'", Error(new PreprocessingSpec { Kind = "image", Features = "waveform" }), StringComparison.Ordinal);
        Assert.Contains("preprocessing.sampleRate is missing in manifest 'm.json'", Error(new PreprocessingSpec { Kind = "audio", Features = "waveform" }), StringComparison.Ordinal);
        Assert.Contains("sample rate is 0 Hz; expected 1 to 1000000", Error(new PreprocessingSpec { Kind = "audio", Features = "waveform", SampleRate = 0 }), StringComparison.Ordinal);
        Assert.Contains("preprocessing.melBins in manifest 'm.json' is set, but features is 'waveform'", Error(new PreprocessingSpec { Kind = "audio", Features = "waveform", SampleRate = 16000, MelBins = 40 }), StringComparison.Ordinal);
        Assert.Contains("preprocessing.center in manifest 'm.json' is set", Error(new PreprocessingSpec { Kind = "audio", Features = "waveform", SampleRate = 16000, Center = true }), StringComparison.Ordinal);
    }

    [Fact]
    public void Per_input_preprocessing_overrides_the_manifests_and_round_trips_through_json()
    {
        var manifest = new ModelManifest
        {
            Name = "two-inputs",
            Version = "1.0.0",
            Task = "classification",
            Inputs =
            [
                new TensorSpec { Name = "image", Dtype = "float32", Shape = [1, 3, 16, 24] },
                new TensorSpec { Name = "audio", Dtype = "float32", Shape = [1, 1, 8000], Preprocessing = new PreprocessingSpec { Kind = "audio", Features = "waveform", SampleRate = 16000 } },
            ],
            Outputs = [new TensorSpec { Name = "y", Dtype = "float32", Shape = [1, 4] }],
            Preprocessing = new PreprocessingSpec { Kind = "image", Width = 24, Height = 16, Channels = 3 },
            Variants = [new ModelVariant { Name = "fp32", File = "m.onnx", Sha256 = new string('0', 64), SizeBytes = 1 }],
        };
        using var dir = new EdgeAI.TestSupport.TempDirectory();
        var path = dir.File(ModelManifest.FileName);
        ModelManifestReader.Write(manifest, path);

        var read = ModelManifestReader.Read(path);

        Assert.Equal("image", read.PreprocessingFor("image")!.Kind);
        Assert.Equal("waveform", read.PreprocessingFor("audio")!.Features);
        Assert.Equal(16000, WaveformOptions.FromSpec(read.PreprocessingFor("audio")).SampleRate);
        Assert.Contains("\"features\": \"waveform\"", File.ReadAllText(path), StringComparison.Ordinal);
    }
}

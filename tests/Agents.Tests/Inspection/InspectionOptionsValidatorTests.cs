using EdgeAI.Agents.Hosting;
using EdgeAI.Agents.Inspection;
using EdgeAI.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeAI.Agents.Tests.Inspection;

/// <summary>The device host's own configuration binding and start-up validation of <c>Inspection</c>.</summary>
public sealed class InspectionOptionsValidatorTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void The_defaults_replay_the_models_demo_pictures_and_publish_per_frame()
    {
        var options = Bind();
        Assert.Equal(InspectionSourceKind.Simulated, options.Source.Kind);
        Assert.Equal(InspectionPublishMode.Frame, options.Publish);
        Assert.Equal(ImageSaveMode.None, options.SaveImages.Mode);
        Assert.Equal(2, options.QueueCapacity);
    }

    [Fact]
    public void Every_source_kind_binds_its_settings_case_insensitively()
    {
        var options = Bind(
            ("Inspection:Source:Kind", "FFMPEG"),
            ("Inspection:Source:Input", "testsrc=size=64x64:rate=5"),
            ("Inspection:Source:InputFormat", "lavfi"),
            ("Inspection:Source:InputOptions:0", "-re"),
            ("Inspection:Publish", "defect"),
            ("Inspection:SaveImages:Mode", "defects"),
            ("Inspection:SaveImages:Directory", "pictures"),
            ("Inspection:SaveImages:MaxFiles", "7"));
        Assert.Equal(InspectionPublishMode.Defect, options.Publish);
        Assert.Equal(["-re", "-f", "lavfi", "-i", "testsrc=size=64x64:rate=5"], options.Source.ToFfmpeg().InputArguments);
        Assert.Equal((ImageSaveMode.Defects, 7), (options.SaveImages.Mode, options.SaveImages.MaxFiles));
    }

    [Fact]
    public void A_v4l2_camera_maps_to_ffmpeg_reading_the_device_as_mjpeg_at_its_size_and_rate()
    {
        var options = Bind(
            ("Inspection:Source:Kind", "v4l2"),
            ("Inspection:Source:Device", "/dev/null"),
            ("Inspection:Source:Width", "1280"),
            ("Inspection:Source:Height", "720"),
            ("Inspection:Source:FramesPerSecond", "15"),
            ("Inspection:Source:FfmpegPath", "/opt/ffmpeg/bin/ffmpeg"));
        var ffmpeg = options.Source.ToFfmpeg();

        Assert.Equal(["-f", "v4l2", "-input_format", "mjpeg", "-video_size", "1280x720", "-framerate", "15", "-i", "/dev/null"], ffmpeg.InputArguments);
        Assert.True(ffmpeg.CopyMjpeg);
        Assert.Equal("/opt/ffmpeg/bin/ffmpeg", ffmpeg.FfmpegPath);
    }

    [Fact]
    public void A_yuyv_v4l2_camera_maps_to_raw_frames_of_its_size()
    {
        var options = Bind(
            ("Inspection:Source:Kind", "v4l2"),
            ("Inspection:Source:Device", "/dev/null"),
            ("Inspection:Source:Capture", "yuyv"),
            ("Inspection:Source:Width", "320"),
            ("Inspection:Source:Height", "240"));
        var ffmpeg = options.Source.ToFfmpeg();

        Assert.Equal(["-f", "v4l2", "-input_format", "yuyv422", "-video_size", "320x240", "-framerate", "4", "-i", "/dev/null"], ffmpeg.InputArguments);
        Assert.Equal((false, 320, 240), (ffmpeg.CopyMjpeg, ffmpeg.RawWidth, ffmpeg.RawHeight));
    }

    [Theory]
    [InlineData("Inspection:Source:Kind=folder", "Inspection:Source:Path is empty")]
    [InlineData("Inspection:Source:Kind=folder;Inspection:Source:Path=/nonexistent/camera", "Inspection:Source:Path '/nonexistent/camera' does not exist")]
    [InlineData("Inspection:Source:Kind=folder;Inspection:Source:Path={dir};Inspection:Source:PollInterval=00:00:00", "Inspection:Source:PollInterval is 00:00:00; expected a positive interval")]
    [InlineData("Inspection:Source:Kind=simulated;Inspection:Source:Path={dir}", "holds no PNG, JPEG or BMP pictures")]
    [InlineData("Inspection:Source:FramesPerSecond=0", "Inspection:Source:FramesPerSecond is 0")]
    [InlineData("Inspection:Source:Kind=mjpeg", "Inspection:Source:Url '' is not an absolute http or https URL")]
    [InlineData("Inspection:Source:Kind=mjpeg;Inspection:Source:Url=ftp://cam/stream", "Inspection:Source:Url 'ftp://cam/stream'")]
    [InlineData("Inspection:Source:Kind=mjpeg;Inspection:Source:Url=http://cam/s;Inspection:Source:ReadTimeout=-00:00:01", "Inspection:Source:ReadTimeout is -00:00:01")]
    [InlineData("Inspection:Source:Kind=ffmpeg", "Inspection:Source:Input is empty")]
    [InlineData("Inspection:Source:Kind=v4l2", "Inspection:Source:Device is empty")]
    [InlineData("Inspection:Source:Kind=v4l2;Inspection:Source:Device=/dev/no-such-camera", "Inspection:Source:Device '/dev/no-such-camera' does not exist")]
    [InlineData("Inspection:Source:Kind=v4l2;Inspection:Source:Device=/dev/null;Inspection:Source:Width=8", "Inspection:Source:Width and Height are 8x480")]
    [InlineData("Inspection:SaveImages:Mode=all", "Inspection:SaveImages:Directory is empty")]
    [InlineData("Inspection:SaveImages:Mode=defects;Inspection:SaveImages:Directory=p;Inspection:SaveImages:MaxFiles=0", "Inspection:SaveImages:MaxFiles is 0")]
    [InlineData("Inspection:SaveImages:Mode=defects;Inspection:SaveImages:Directory=p;Inspection:SaveImages:MaxBytes=10", "Inspection:SaveImages:MaxBytes is 10")]
    [InlineData("Inspection:QueueCapacity=0", "Inspection:QueueCapacity is 0; expected 1-8")]
    [InlineData("Inspection:MaxRegions=100", "Inspection:MaxRegions is 100")]
    [InlineData("Inspection:RegionMinProbability=1.5", "Inspection:RegionMinProbability is 1.5")]
    [InlineData("Inspection:DefectThreshold=1.2", "Inspection:DefectThreshold is 1.2; expected a defect score 0-1")]
    [InlineData("Inspection:DefectThreshold=-0.1", "Inspection:DefectThreshold is -0.1")]
    [InlineData("Inspection:Model=../etc", "Inspection:Model '../etc' must be a model directory name")]
    public void A_bad_setting_fails_start_up_naming_the_key(string settings, string expected)
    {
        var pairs = settings.Replace("{dir}", _dir.Path, StringComparison.Ordinal).Split(';').Select(s => s.Split('=', 2)).Select(p => (p[0], p[1])).ToArray();
        var ex = Assert.Throws<OptionsValidationException>(() => Bind(pairs));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Inspection:Source:Kind", "camera")]
    [InlineData("Inspection:Publish", "region")]
    [InlineData("Inspection:SaveImages:Mode", "some")]
    [InlineData("Inspection:Source:Capture", "h264")]
    public void An_unknown_choice_fails_naming_the_key(string key, string value)
    {
        var ex = Assert.Throws<InvalidOperationException>(() => Bind((key, value)));
        Assert.Contains($"'{key}'", ex.Message, StringComparison.Ordinal);
        Assert.Contains(value, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_taught_defect_threshold_binds_and_its_absence_means_the_models_own()
    {
        Assert.Equal(0.42, Bind(("Inspection:DefectThreshold", "0.42")).DefectThreshold);
        Assert.Null(Bind().DefectThreshold);
    }

    [Fact]
    public void A_disabled_agent_is_not_checked()
    {
        var options = Bind(("Inspection:Enabled", "false"), ("Inspection:Source:Kind", "mjpeg"));
        Assert.False(options.Enabled);
    }

    private InspectionOptions Bind(params (string Key, string Value)[] settings)
    {
        var values = new Dictionary<string, string?>
        {
            ["Device:ModelsPath"] = RepoPaths.Models,
            ["Device:DataPath"] = _dir.Path,
        };
        foreach (var (key, value) in settings)
        {
            values[key] = value;
        }

        using var host = DeviceHost.Build(c => c.AddInMemoryCollection(values), LogLevel.None);
        return host.Services.GetRequiredService<IOptions<InspectionOptions>>().Value;
    }
}

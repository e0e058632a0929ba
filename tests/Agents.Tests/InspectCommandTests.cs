using System.Runtime.InteropServices;
using System.Text.Json;
using EdgeAI.TestSupport;

namespace EdgeAI.Agents.Tests;

public sealed class InspectCommandTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _dir = new();

    private static string DefectModel => Path.Combine(RepoPaths.Models, "defect-cnn");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Score_of_the_sample_png_matches_the_models_reference_output()
    {
        var r = await Edgeai.RunAsync(Timeout, "inspect", Path.Combine(DefectModel, "sample", "image.png"), "--models", RepoPaths.Models, "--json", "--overlay", _dir.Path);
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        var result = Assert.Single(doc.RootElement.EnumerateArray().ToArray());

        // Independent: softmax of the logits the trainer recorded for this image (sample/fp32.logits.bin).
        // Decoding the PNG and preprocessing it must reproduce the committed input tensor, so the defect
        // score agrees to float rounding (1e-4).
        var logits = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Path.Combine(DefectModel, "sample", "fp32.logits.bin"))).ToArray();
        var max = logits.Max();
        var exp = logits.Select(l => Math.Exp(l - max)).ToArray();
        var expectedScore = 1 - (exp[0] / exp.Sum());
        Assert.Equal(expectedScore, result.GetProperty("defectScore").GetDouble(), 4);
        Assert.Equal(1.0, result.GetProperty("probabilities").EnumerateObject().Sum(p => p.Value.GetDouble()), 4);

        var box = result.GetProperty("box").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        Assert.Equal(4, box.Length);
        Assert.True(box[0] >= 0 && box[1] >= 0 && box[2] > 0 && box[3] > 0 && box[0] + box[2] <= 64 && box[1] + box[3] <= 64, string.Join(",", box));

        var overlay = File.ReadAllBytes(Path.Combine(_dir.Path, "image.overlay.png"));
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], overlay[..4]);
    }

    [Fact]
    public async Task A_corrupt_image_in_a_folder_is_skipped_and_reported_the_rest_inspected()
    {
        File.Copy(Path.Combine(DefectModel, "sample", "image.png"), _dir.File("a-good.png"));
        await File.WriteAllBytesAsync(_dir.File("b-truncated.png"), File.ReadAllBytes(Path.Combine(DefectModel, "sample", "image.png"))[..100]);
        await File.WriteAllTextAsync(_dir.File("c-notes.txt"), "not an image, not picked up");

        var r = await Edgeai.RunAsync(Timeout, "inspect", _dir.Path, "--models", RepoPaths.Models, "--json");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("b-truncated.png", r.Stderr, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(r.Stdout);
        var only = Assert.Single(doc.RootElement.EnumerateArray().ToArray());
        Assert.EndsWith("a-good.png", only.GetProperty("source").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_variants_own_threshold_decides_instead_of_the_top_level_one()
    {
        // A copy of the model whose int8 variant carries its own defect threshold of 0: every part is rejected by it,
        // while fp32 (top-level threshold) passes the good one.
        var models = ModelCopies.WithVariantThreshold(_dir.File("models"), "int8", 0.0);
        var ok = Path.Combine(DefectModel, "demo", "04-ok.png");

        var fp32 = await InspectAsync(ok, models, "fp32");
        var int8 = await InspectAsync(ok, models, "int8");

        var topLevel = ModelCopies.TopLevelThreshold();
        Assert.Equal(topLevel, fp32.GetProperty("threshold").GetDouble());
        Assert.False(fp32.GetProperty("defective").GetBoolean(), $"score {fp32.GetProperty("defectScore").GetDouble()} vs {topLevel}");
        Assert.Equal(0.0, int8.GetProperty("threshold").GetDouble());
        Assert.True(int8.GetProperty("defective").GetBoolean());
    }

    [Fact]
    public async Task A_threshold_taught_from_pictures_rejects_the_share_asked_when_inspect_uses_it()
    {
        // The eight demo pictures stand in for a line's good parts: at 25% the taught threshold is the third highest score,
        // so inspect with it rejects exactly the two above it. Scores are compared unrounded, as the agent does: a threshold
        // taken from rounded scores would reject the picture it came from about half the time.
        var demo = Path.Combine(DefectModel, "demo");
        var r = await Edgeai.RunAsync(Timeout, "calibrate-threshold", demo, "--false-rejects", "0.25", "--models", RepoPaths.Models, "--variant", "int8");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("8 good pictures, variant int8", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("rejects 2 of 8", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("note: 8 pictures allow only 2 rejects at this rate; 20 or more", r.Stdout, StringComparison.Ordinal);
        var use = r.Stdout.Split('\n').Single(l => l.StartsWith("use it: Inspection:DefectThreshold=", StringComparison.Ordinal));
        const string Prefix = "use it: Inspection:DefectThreshold=";
        var taught = use[Prefix.Length..use.IndexOf(' ', Prefix.Length)];

        var inspected = await Edgeai.RunAsync(Timeout, "inspect", demo, "--models", RepoPaths.Models, "--variant", "int8", "--threshold", taught, "--json");
        Assert.True(inspected.ExitCode == 0, inspected.Stderr);
        using var doc = JsonDocument.Parse(inspected.Stdout);
        var results = doc.RootElement.EnumerateArray().ToArray();
        Assert.Equal(8, results.Length);
        Assert.All(results, x => Assert.Equal(double.Parse(taught, System.Globalization.CultureInfo.InvariantCulture), x.GetProperty("threshold").GetDouble()));
        Assert.Equal(2, results.Count(x => x.GetProperty("defective").GetBoolean()));
        var third = results.Select(x => x.GetProperty("defectScore").GetDouble()).OrderDescending().ElementAt(2);
        Assert.Equal(third, double.Parse(taught, System.Globalization.CultureInfo.InvariantCulture), 6);
    }

    [Fact]
    public async Task Calibration_names_an_unreadable_picture_and_refuses_bad_settings()
    {
        File.Copy(Path.Combine(DefectModel, "demo", "04-ok.png"), _dir.File("a-good.png"));
        await File.WriteAllBytesAsync(_dir.File("b-truncated.png"), File.ReadAllBytes(Path.Combine(DefectModel, "demo", "04-ok.png"))[..80]);
        var r = await Edgeai.RunAsync(Timeout, "calibrate-threshold", _dir.Path, "--models", RepoPaths.Models);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("skipped", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("b-truncated.png", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("1 good pictures", r.Stdout, StringComparison.Ordinal);

        var rate = await Edgeai.RunAsync(Timeout, "calibrate-threshold", _dir.Path, "--false-rejects", "0.7", "--models", RepoPaths.Models);
        Assert.Equal(2, rate.ExitCode);
        Assert.Contains("--false-rejects 0.7 is not a share of parts; expected 0-0.5", rate.Stderr, StringComparison.Ordinal);

        var empty = Directory.CreateDirectory(_dir.File("empty")).FullName;
        var none = await Edgeai.RunAsync(Timeout, "calibrate-threshold", empty, "--models", RepoPaths.Models);
        Assert.Equal(2, none.ExitCode);
        Assert.Contains("no readable PNG, JPEG or BMP pictures", none.Stderr, StringComparison.Ordinal);

        var threshold = await Edgeai.RunAsync(Timeout, "inspect", _dir.File("a-good.png"), "--models", RepoPaths.Models, "--threshold", "1.5");
        Assert.Equal(2, threshold.ExitCode);
        Assert.Contains("--threshold 1.5 is not a defect score; expected 0-1", threshold.Stderr, StringComparison.Ordinal);
    }

    private static async Task<JsonElement> InspectAsync(string image, string models, string variant)
    {
        var r = await Edgeai.RunAsync(Timeout, "inspect", image, "--models", models, "--variant", variant, "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        return Assert.Single(doc.RootElement.EnumerateArray().ToArray()).Clone();
    }
}

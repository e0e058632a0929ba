using System.Text;
using EdgeAI.Agents.Inspection;
using EdgeAI.Inference;
using EdgeAI.TestSupport;
using EdgeAI.Vision;

namespace EdgeAI.Agents.Tests.Inspection;

public sealed class InspectionPayloadWriterTests
{
    private static string DefectModel => Path.Combine(RepoPaths.Models, "defect-cnn");

    [Theory]
    [InlineData("fp32")]
    [InlineData("int8")]
    public void Verdicts_on_the_demo_pictures_are_written_byte_for_byte_as_the_serializer_writes_the_documented_payloads(string variant)
    {
        using var model = EdgeModel.Load(DefectModel, new EdgeModelOptions { Variant = variant });
        using var inspector = new DefectInspector(model);
        using var writer = new InspectionPayloadWriter(model.Manifest.Name, model.Manifest.Version);
        var heatmap = new float[inspector.HeatmapSize.Width * inspector.HeatmapSize.Height];
        var pictures = InspectionSources.Pictures(Path.Combine(DefectModel, "demo"));
        var start = new DateTimeOffset(2026, 11, 25, 13, 21, 33, TimeSpan.Zero).AddTicks(4816052);
        int defective = 0, regions = 0;
        for (var i = 0; i < pictures.Length; i++)
        {
            using var frame = new ImageDecoder().Decode(File.ReadAllBytes(pictures[i]), PixelFormat.Rgb24, pictures[i], 1000 + i, start.AddTicks(i * 1234567));
            var verdict = inspector.Inspect(frame, heatmap);
            var latency = new InspectionLatency(2.564 * i, verdict.PreprocessMs, verdict.InferenceMs, 0.152, 4.606 + i);
            var name = Path.GetFileName(pictures[i]);

            AssertSameJson(PayloadReferenceJson.Result(frame, name, verdict, model.Manifest.Name, model.Manifest.Version, latency, i, 2 * i),
                writer.WriteResult(frame, name, verdict, latency, i, 2 * i));
            for (var r = 0; r < verdict.Regions.Length; r++)
            {
                AssertSameJson(PayloadReferenceJson.Defect(frame, name, verdict, r, model.Manifest.Name, model.Manifest.Version, latency, i, 2 * i),
                    writer.WriteDefect(frame, name, verdict, r, latency, i, 2 * i));
            }

            defective += verdict.Defective ? 1 : 0;
            regions += verdict.Regions.Length;
        }

        // The demo set must exercise the interesting parts: defective frames with regions, and more than one region somewhere.
        Assert.True(defective >= 2 && regions > defective, $"{defective} defective frame(s), {regions} region(s) over {pictures.Length} pictures");
    }

    [Fact]
    public void Hostile_text_extreme_and_non_finite_numbers_are_written_as_the_serializer_writes_them()
    {
        string[] labels = ["ok", "scratch \"deep\"", "größe+<b>&", "tab\there\u0001\u001f", "emoji 🙂 \\ back/slash", "\u2028line\u2029sep"];
        var verdict = new InspectionVerdict(labels, double.NaN, "int8 \"q\" \u00e9", maxRegions: 3);
        verdict.SetClassification(2, double.PositiveInfinity, defective: true, 4, [float.NaN, -0f, 1e-7f, float.NegativeInfinity, 0.3333333f, float.MaxValue]);
        verdict.SetBox(new PixelBox(-1, int.MaxValue, 0, int.MinValue));
        verdict.AddRegion(new RegionVerdict(3, double.NegativeInfinity, 1, new PixelBox(1, 2, 3, 4)));
        verdict.AddRegion(new RegionVerdict(1, 5E-06, 0.5, default));
        verdict.AddRegion(new RegionVerdict(5, -0.0, 1e-300, new PixelBox(0, 0, 1, 1)));
        verdict.AddRegion(new RegionVerdict(4, 1, 1, new PixelBox(9, 9, 9, 9))); // beyond the capacity: not kept
        verdict.SetTimings(double.NaN, 1e300);
        var timestamp = new DateTimeOffset(2026, 11, 25, 23, 59, 59, TimeSpan.FromHours(5)).AddTicks(1);
        using var frame = Frame.Rent(7, 5, PixelFormat.Gray8, long.MaxValue, timestamp, "rtsp://cam/«line»#\"7\"");
        var latency = new InspectionLatency(-0.0, double.Epsilon, 1.0 / 3, 1e21, double.MaxValue);
        using var writer = new InspectionPayloadWriter("defect \"cnn\" ✓", "1.0.0+<build>");

        Assert.Equal(3, verdict.Regions.Length);
        AssertSameJson(PayloadReferenceJson.Result(frame, frame.SourceId, verdict, "defect \"cnn\" ✓", "1.0.0+<build>", latency, long.MinValue, -1),
            writer.WriteResult(frame, frame.SourceId, verdict, latency, long.MinValue, -1));
        for (var r = 0; r < verdict.Regions.Length; r++)
        {
            AssertSameJson(PayloadReferenceJson.Defect(frame, frame.SourceId, verdict, r, "defect \"cnn\" ✓", "1.0.0+<build>", latency, 0, long.MaxValue),
                writer.WriteDefect(frame, frame.SourceId, verdict, r, latency, 0, long.MaxValue));
        }
    }

    [Fact]
    public void A_frame_without_regions_writes_an_empty_regions_array_and_the_buffer_is_reused_across_sizes()
    {
        string[] labels = ["ok", "spot"];
        var verdict = new InspectionVerdict(labels, 0.94, "fp32", maxRegions: 8);
        verdict.SetClassification(0, 0.01, defective: false, 1, [0.99f, 0.01f]);
        verdict.SetBox(new PixelBox(4, 36, 24, 20));
        verdict.SetTimings(0.07, 0.4);
        using var frame = Frame.Rent(64, 64, PixelFormat.Rgb24, 2, DateTimeOffset.UnixEpoch, new string('a', 5000));
        using var writer = new InspectionPayloadWriter("defect-cnn", "1.0.0");
        var latency = new InspectionLatency(1, 2, 3, 4, 5);

        var large = Encoding.UTF8.GetString(writer.WriteResult(frame, frame.SourceId, verdict, latency, 0, 0));
        var small = Encoding.UTF8.GetString(writer.WriteResult(frame, "s", verdict, latency, 0, 0));

        Assert.Contains("\"regions\":[]", small, StringComparison.Ordinal);
        Assert.Contains("\"box\":[4,36,24,20]", small, StringComparison.Ordinal);
        Assert.Equal(large.Replace(new string('a', 5000), "s", StringComparison.Ordinal), small);
        AssertSameJson(PayloadReferenceJson.Result(frame, "s", verdict, "defect-cnn", "1.0.0", latency, 0, 0), writer.WriteResult(frame, "s", verdict, latency, 0, 0));
    }

    private static void AssertSameJson(byte[] expected, ReadOnlySpan<byte> actual)
    {
        Assert.Equal(Encoding.UTF8.GetString(expected), Encoding.UTF8.GetString(actual));
        Assert.True(actual.SequenceEqual(expected));
    }
}

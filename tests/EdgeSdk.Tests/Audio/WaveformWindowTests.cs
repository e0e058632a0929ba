using EdgeAI.Audio;
using EdgeAI.TestSupport;

namespace EdgeAI.Sdk.Tests.Audio;

/// <summary>The waveform front end of raw-sample models: resampled, cut or zero-padded to the model's length, the same whatever the block sizes.</summary>
public sealed class WaveformWindowTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(16000)] // longer than the clip: zeros after it
    [InlineData(9000)]  // shorter: the first 9000 samples
    public void Hop_by_hop_equals_the_whole_recording_and_the_resampled_signal_cut_or_padded(int length)
    {
        var path = _dir.File("speech.wav");
        ExternalTool.Speak("stop", path);
        var audio = WavReader.ReadFile(path);
        var options = new WaveformOptions { SampleRate = 16000 };

        var whole = WaveformWindow.FromRecording(audio, options, length);

        // The device: 20 ms capture blocks (441 samples at 22,050 Hz), then the end of the clip.
        var window = new WaveformWindow(audio.SampleRate, options, length);
        for (var start = 0; start < audio.Samples.Length; start += 441)
        {
            window.Append(audio.Samples.AsSpan(start, Math.Min(441, audio.Samples.Length - start)));
        }

        window.Complete();
        Assert.Equal(whole, window.Samples.ToArray());

        var resampled = AudioResampler.Resample(audio.Samples, audio.SampleRate, 16000);
        Assert.Equal(Math.Min(length, resampled.Length), window.Filled);
        Assert.Equal(resampled.AsSpan(0, window.Filled).ToArray(), whole[..window.Filled]);
        Assert.All(whole[window.Filled..], v => Assert.Equal(0f, v));
        Assert.Equal(length > resampled.Length, !window.IsFull);
    }

    [Fact]
    public void Equal_rates_copy_samples_unchanged_and_reset_starts_a_new_clip()
    {
        var window = new WaveformWindow(16000, new WaveformOptions { SampleRate = 16000 }, 5);
        window.Append([0.1f, -0.2f, 0.3f]);
        Assert.Equal([0.1f, -0.2f, 0.3f, 0f, 0f], window.Samples.ToArray());
        window.Append([0.4f, 0.5f, 0.6f]);
        Assert.Equal([0.1f, -0.2f, 0.3f, 0.4f, 0.5f], window.Samples.ToArray());
        Assert.True(window.IsFull);

        window.Reset();
        Assert.Equal(0, window.Filled);
        Assert.All(window.Samples.ToArray(), v => Assert.Equal(0f, v));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WaveformWindow(16000, new WaveformOptions(), 0));
        Assert.Throws<ArgumentException>(() => new WaveformWindow(16000, new WaveformOptions { SampleRate = -1 }, 10));
    }

    [Fact]
    public void Appending_blocks_allocates_nothing_after_warm_up()
    {
        var window = new WaveformWindow(22050, new WaveformOptions { SampleRate = 16000 }, 16000);
        var block = new float[441];
        for (var i = 0; i < block.Length; i++)
        {
            block[i] = MathF.Sin(i * 0.05f);
        }

        window.Append(block);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var hop = 0; hop < 20; hop++)
        {
            window.Append(block);
        }

        window.Complete();
        window.Reset();
        window.Append(block);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        var fresh = new WaveformWindow(22050, new WaveformOptions { SampleRate = 16000 }, 16000);
        fresh.Append(block);
        Assert.Equal(fresh.Samples.ToArray(), window.Samples.ToArray()); // after Reset the clip starts over
        Assert.InRange(window.Filled, 280, 320); // 441 samples at 22,050 Hz: 320 at 16 kHz, less the filter's look-ahead
    }
}

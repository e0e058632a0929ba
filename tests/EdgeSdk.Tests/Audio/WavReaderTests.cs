using System.Buffers.Binary;
using EdgeAI.Audio;

namespace EdgeAI.Sdk.Tests.Audio;

public sealed class WavReaderTests
{
    [Theory]
    [InlineData(8, 127L, -128L)]
    [InlineData(16, 32767L, -32768L)]
    [InlineData(24, 8388607L, -8388608L)]
    [InlineData(32, 2147483647L, -2147483648L)]
    public void Integer_pcm_scales_by_two_to_the_bits_minus_one(int bits, long max, long min)
    {
        long[] values = [0, max, min, max / 2, -(max / 4)];
        foreach (var extensible in new[] { false, true })
        {
            var audio = WavReader.Read(WavBuilder.Pcm(bits, 1, 8000, values, extensible), "t.wav");

            Assert.Equal((8000, 1, bits, WavEncoding.Pcm), (audio.SampleRate, audio.Channels, audio.BitsPerSample, audio.Encoding));
            var scale = Math.Pow(2, bits - 1);
            Assert.Equal(values.Length, audio.Samples.Length);
            for (var i = 0; i < values.Length; i++)
            {
                Assert.Equal(values[i] / scale, audio.Samples[i], 1e-7);
            }
        }
    }

    [Theory]
    [InlineData(32)]
    [InlineData(64)]
    public void Float_samples_pass_through_and_channels_are_averaged(int bits)
    {
        double[] stereo = [0.5, -0.25, 1.0, 1.0, -0.75, 0.25];
        var audio = WavReader.Read(WavBuilder.Float(bits, 2, 44100, stereo, extensible: bits == 32), "f.wav");

        Assert.Equal(WavEncoding.IeeeFloat, audio.Encoding);
        Assert.Equal(2, audio.Channels);
        Assert.Equal([0.125f, 1.0f, -0.25f], audio.Samples);
    }

    [Fact]
    public void Unknown_odd_sized_chunks_are_skipped_with_their_pad_byte()
    {
        var audio = WavReader.Read(WavBuilder.Pcm(16, 3, 16000, [300, 600, 900, -3, -6, -9], extraChunk: WavBuilder.OddChunk()), "odd.wav");

        Assert.Equal(2, audio.Samples.Length);
        Assert.Equal(600 / 32768f, audio.Samples[0], 1e-7f);
        Assert.Equal(-6 / 32768f, audio.Samples[1], 1e-7f);
        Assert.Equal(2 / 16000.0, audio.DurationSeconds, 1e-12);
    }

    [Fact]
    public void Hostile_and_truncated_files_fail_naming_what_was_expected()
    {
        var good = WavBuilder.Pcm(16, 1, 16000, [1, 2, 3, 4]);

        AssertFails([], "empty file");
        AssertFails(good[..10], "expected a 12-byte header");
        AssertFails([.. "RIFX"u8, .. good[4..]], "'RIFF' <size> 'WAVE'");
        AssertFails(good[..30], "'fmt ' chunk of 16 bytes at offset 12 but only");
        AssertFails(good[..(good.Length - 1)], "'data' chunk of 8 bytes at offset 36 but only 7 follow; the file is truncated");
        AssertFails(good[..36], "has no 'data' chunk");

        var absurd = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(absurd.AsSpan(40), 0xFFFFFFF0);
        AssertFails(absurd, "declares a 'data' chunk of 4294967280 bytes; at most");
        var absurdFmt = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(absurdFmt.AsSpan(16), 0x7FFFFFFF);
        AssertFails(absurdFmt, "'fmt ' chunk of 2147483647 bytes");

        AssertFails(WavBuilder.Build(1, 1, 16, 0, 16000, new byte[4], null, blockAlign: 0), "declares 0 channels; expected 1 to 256");
        AssertFails(WavBuilder.Build(1, 1, 16, 2, 16000, new byte[8], null, blockAlign: 2), "declares block align 2; expected 4 (2 channel(s) x 2 bytes)");
        AssertFails(WavBuilder.Build(1, 1, 12, 1, 16000, new byte[4], null, blockAlign: 1), "declares 12-bit PCM; expected PCM 8/16/24/32");
        AssertFails(WavBuilder.Build(2, 1, 4, 1, 16000, new byte[4], null), "format code 0x0002; expected PCM (1)");
        AssertFails(WavBuilder.Build(1, 1, 16, 1, 0, new byte[4], null), "sample rate of 0 Hz");
        AssertFails(WavBuilder.Build(1, 1, 16, 2, 16000, new byte[6], null), "'data' chunk of 6 bytes; expected a multiple of the block align 4");

        var badGuid = WavBuilder.Pcm(16, 1, 16000, [1, 2], extensible: true);
        badGuid[50] ^= 0xFF;
        AssertFails(badGuid, "sub-format GUID");

        // 'data' before 'fmt '.
        byte[] dataFirst = [.. "RIFF"u8, 0, 0, 0, 0, .. "WAVE"u8, .. "data"u8, 2, 0, 0, 0, 1, 2, .. good[12..36]];
        AssertFails(dataFirst, "'data' chunk before any 'fmt ' chunk");
    }

    [Fact]
    public void A_file_over_the_data_limit_is_refused_before_it_is_read()
    {
        var path = Path.Combine(Path.GetTempPath(), $"edgeai-wav-{Guid.NewGuid():N}.wav");
        File.WriteAllBytes(path, WavBuilder.Pcm(16, 1, 16000, new long[4096]));
        try
        {
            var ex = Assert.Throws<WavFormatException>(() => WavReader.ReadFile(path, maxDataBytes: 1024));
            Assert.Contains("declares a 'data' chunk of 8192 bytes; at most 1024 are accepted", ex.Message, StringComparison.Ordinal);
            Assert.Equal(path, ex.SourceId);
            Assert.Equal(4096, WavReader.ReadFile(path).Samples.Length);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static void AssertFails(byte[] data, string expected)
    {
        var ex = Assert.Throws<WavFormatException>(() => WavReader.Read(data, "bad.wav"));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.StartsWith("WAV 'bad.wav' ", ex.Message, StringComparison.Ordinal);
    }
}

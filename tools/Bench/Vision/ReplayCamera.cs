using EdgeAI.Vision;

namespace EdgeAI.Bench.Vision;

/// <summary>
/// A camera that delivers encoded pictures from memory as fast as it is read, decoding each on the reader's
/// task the way the SDK's sources do (so decoding overlaps inference in the agent's pump), then ends.
/// </summary>
internal sealed class ReplayCamera : CameraSource
{
    private readonly (string Name, byte[] Bytes)[] _pictures;
    private readonly ImageDecoder _decoder = new();
    private readonly long _frames;
    private long _next;

    public ReplayCamera((string Name, byte[] Bytes)[] pictures, long frames)
        : base("replay", logger: null)
    {
        _pictures = pictures;
        _frames = frames;
    }

    protected override ValueTask<Frame?> ReadFrameCoreAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (_next == _frames)
        {
            return ValueTask.FromResult<Frame?>(null);
        }

        var (name, bytes) = _pictures[_next % _pictures.Length];
        return ValueTask.FromResult<Frame?>(_decoder.Decode(bytes, PixelFormat.Rgb24, name, _next++, DateTimeOffset.UtcNow));
    }
}

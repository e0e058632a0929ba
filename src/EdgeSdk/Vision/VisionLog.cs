using Microsoft.Extensions.Logging;

namespace EdgeAI.Vision;

internal static partial class VisionLog
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Camera {Source}: skipped a corrupt frame ({Count} so far): {Reason}")]
    public static partial void CorruptFrame(ILogger logger, string source, long count, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Camera {Source}: dropped {Dropped} frame(s) ({Count} so far)")]
    public static partial void DroppedFrames(ILogger logger, string source, long dropped, long count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Camera {Source}: connection lost or refused; reconnecting in {Delay}")]
    public static partial void Reconnecting(ILogger logger, string source, TimeSpan delay, Exception? exception);
}

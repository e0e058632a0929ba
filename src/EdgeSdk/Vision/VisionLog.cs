using Microsoft.Extensions.Logging;

namespace EdgeAI.Vision;

internal static partial class VisionLog
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Camera {Source}: skipped a corrupt frame ({Count} so far): {Reason}")]
    public static partial void CorruptFrame(ILogger logger, string source, long count, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Camera {Source}: dropped {Dropped} frame(s) ({Count} so far)")]
    public static partial void DroppedFrames(ILogger logger, string source, long dropped, long count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Camera {Source}: connection lost; reconnecting in {Delay}")]
    public static partial void ConnectionLost(ILogger logger, string source, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Camera {Source}: cannot connect ({Failures} failed attempt(s) so far, retrying every {Delay}): {Reason}")]
    public static partial void ConnectFailed(ILogger logger, string source, int failures, TimeSpan delay, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Camera {Source}: connected after {Failures} failed attempt(s)")]
    public static partial void Reconnected(ILogger logger, string source, int failures);
}

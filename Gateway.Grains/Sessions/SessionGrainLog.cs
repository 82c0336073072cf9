using Microsoft.Extensions.Logging;

namespace Gateway.Grains.Sessions;

internal static partial class SessionGrainLog
{
    [LoggerMessage(1, LogLevel.Warning, "Saving usage of session {SessionId} failed; will retry")]
    public static partial void FlushFailed(ILogger logger, string sessionId, Exception exception);
}

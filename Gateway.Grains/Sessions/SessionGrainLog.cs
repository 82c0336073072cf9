using Microsoft.Extensions.Logging;

namespace Gateway.Grains.Sessions;

internal static partial class SessionGrainLog
{
    [LoggerMessage(1, LogLevel.Warning, "Saving usage of session {SessionId} failed; will retry")]
    public static partial void FlushFailed(ILogger logger, string sessionId, Exception exception);

    [LoggerMessage(2, LogLevel.Warning, "Session {SessionId} belongs to another key; usage of key {KeyId} not added to it")]
    public static partial void ForeignKey(ILogger logger, string sessionId, string keyId);
}

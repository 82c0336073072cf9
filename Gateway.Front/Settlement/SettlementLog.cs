namespace Gateway.Front.Settlement;

internal static partial class SettlementLog
{
    [LoggerMessage(1, LogLevel.Warning, "Settling usage of key {KeyId} failed (attempt {Attempt}): {Error}")]
    public static partial void Retrying(ILogger logger, string keyId, int attempt, string error);

    [LoggerMessage(2, LogLevel.Error, "Gave up settling batch {BatchId} of key {KeyId} ({Count} charges)")]
    public static partial void GaveUp(ILogger logger, string keyId, Guid batchId, int count, Exception exception);

    [LoggerMessage(4, LogLevel.Information, "Settled usage of key {KeyId} after {Attempts} attempts ({Seconds:0.0} s)")]
    public static partial void Recovered(ILogger logger, string keyId, int attempts, double seconds);

    [LoggerMessage(3, LogLevel.Warning, "Recording usage of session {SessionId} failed: {Error}")]
    public static partial void SessionFailed(ILogger logger, string sessionId, string error);
}

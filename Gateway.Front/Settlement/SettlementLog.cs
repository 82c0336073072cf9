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

    [LoggerMessage(5, LogLevel.Error, "Settlement refused a charge of key {KeyId} for good (request {RequestId}): {Reason}; isolated and dropped, the key's other charges settle")]
    public static partial void Rejected(ILogger logger, string keyId, string requestId, string reason);

    [LoggerMessage(6, LogLevel.Warning, "Could not record the refused charge of key {KeyId} (request {RequestId}) in settlement_rejects: {Error}")]
    public static partial void RejectNotRecorded(ILogger logger, string keyId, string requestId, string error);
}

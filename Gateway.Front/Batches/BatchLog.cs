namespace Gateway.Front.Batches;

internal static partial class BatchLog
{
    [LoggerMessage(1, LogLevel.Information, "Settled batch {BatchId} of key {KeyId}: {Succeeded} of {Results} results charged, ${ChargedUsd} at the batch price")]
    public static partial void Settled(ILogger logger, string batchId, string keyId, int succeeded, int results, decimal chargedUsd);

    [LoggerMessage(2, LogLevel.Warning, "Settling batch {BatchId} failed (retried by the next sweep): {Error}")]
    public static partial void SettleFailed(ILogger logger, string batchId, string error);

    [LoggerMessage(3, LogLevel.Error, "Batch {BatchId} was created with upstream key {UpstreamKeyId} of provider {Provider}, which is no longer configured: it cannot be read or settled")]
    public static partial void CredentialGone(ILogger logger, string batchId, string upstreamKeyId, string provider);

    [LoggerMessage(4, LogLevel.Error, "Batch {BatchId} of key {KeyId} no longer exists upstream and was never settled: its results cannot be read, so it is charged the worst case held for it, ${ChargedUsd}")]
    public static partial void GoneUpstream(ILogger logger, string batchId, string keyId, decimal chargedUsd);

    [LoggerMessage(5, LogLevel.Error, "Batch {BatchId} was created upstream but its owner could not be recorded; it was canceled: {Error}")]
    public static partial void OwnerNotRecorded(ILogger logger, string batchId, string error);

    [LoggerMessage(6, LogLevel.Warning, "Batch sweep failed: {Error}")]
    public static partial void SweepFailed(ILogger logger, string error);
}

namespace Gateway.Front.Audit;

/// <summary>Source-generated log methods of the audit writer.</summary>
internal static partial class AuditLog
{
    [LoggerMessage(1, LogLevel.Warning,
        "Audit buffer full ({Capacity} records): dropped {Count} audit records since the last warning, {Total} in all (Postgres slow or unreachable)")]
    public static partial void BufferFull(ILogger logger, int capacity, long count, long total);

    [LoggerMessage(2, LogLevel.Warning, "Audit log is stopping: dropped {Count} audit records written after shutdown began, {Total} in all")]
    public static partial void WrittenAfterStop(ILogger logger, long count, long total);

    [LoggerMessage(3, LogLevel.Warning,
        "Audit batch of {Rows} rows not written (attempt {Attempt}, {Buffered} records buffered); retrying in {DelayMs} ms: {Error}")]
    public static partial void WriteFailed(ILogger logger, int rows, int attempt, long buffered, long delayMs, string error);

    [LoggerMessage(4, LogLevel.Information, "Audit log writes recovered after {Attempts} failed attempts")]
    public static partial void Recovered(ILogger logger, int attempts);

    [LoggerMessage(5, LogLevel.Error,
        "Postgres refused audit record {RequestId} (dropped; {Count} refused since the last report): {Error}")]
    public static partial void RowRejected(ILogger logger, string requestId, long count, string error);

    [LoggerMessage(6, LogLevel.Information, "Audit log stopped: {Written} rows written in all, nothing lost")]
    public static partial void StoppedClean(ILogger logger, long written);

    [LoggerMessage(7, LogLevel.Error,
        "Audit log stopped after {TimeoutMs} ms of shutdown flushing: {Lost} buffered records were not written ({Written} rows written in all)")]
    public static partial void StoppedWithLoss(ILogger logger, long lost, long written, long timeoutMs);

    [LoggerMessage(8, LogLevel.Warning, "Could not create the request_log partition for {Day}: {Error}")]
    public static partial void PartitionFailed(ILogger logger, DateOnly day, string error);

    [LoggerMessage(9, LogLevel.Warning, "request_log maintenance failed; retrying in {DelaySeconds} s: {Error}")]
    public static partial void MaintenanceFailed(ILogger logger, double delaySeconds, string error);

    [LoggerMessage(10, LogLevel.Information, "Dropped {Count} request_log daily partitions older than {Days} days ({Setting})")]
    public static partial void PartitionsDropped(ILogger logger, int count, int days, string setting);

    [LoggerMessage(11, LogLevel.Information, "Audit log off ({Reason}): request records are discarded")]
    public static partial void Disabled(ILogger logger, string reason);

    [LoggerMessage(12, LogLevel.Information, "Audit log on: request records go to Postgres request_log (buffer {Capacity}, batches of {BatchSize}, retention {Retention})")]
    public static partial void Enabled(ILogger logger, int capacity, int batchSize, string retention);
}

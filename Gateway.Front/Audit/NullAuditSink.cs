namespace Gateway.Front.Audit;

/// <summary>The audit sink when the audit log is off (<c>Audit:Enabled</c> false, or no Postgres): counts and discards.</summary>
public sealed class NullAuditSink : IAuditSink
{
    private long _discarded;

    /// <summary>Records passed to <see cref="Write"/> and discarded.</summary>
    public long Discarded => Interlocked.Read(ref _discarded);

    public void Write(AuditRecord record) => Interlocked.Increment(ref _discarded);
}

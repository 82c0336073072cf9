namespace Gateway.Front.Audit;

/// <summary>Where finished requests' audit records go. Must not block or fail the request.</summary>
public interface IAuditSink
{
    /// <summary>Accepts a record for writing; never throws, never waits on the database.</summary>
    void Write(AuditRecord record);
}

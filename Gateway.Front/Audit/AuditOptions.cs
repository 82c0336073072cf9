namespace Gateway.Front.Audit;

/// <summary>The per-request audit log (<c>request_log</c> in Postgres). Section <c>Audit</c>.</summary>
public sealed class AuditOptions
{
    public const string Section = "Audit";

    /// <summary>
    /// Write audit records. Unset: on when <c>Postgres:ConnectionString</c> is set, else off (records are
    /// discarded). <c>true</c> without a connection string fails at start.
    /// </summary>
    public bool? Enabled { get; set; }

    /// <summary>
    /// Records waiting to be written (the bound while Postgres is slow or down). Beyond it a record is
    /// dropped, counted and warned about: the request itself never waits on the audit log.
    /// </summary>
    public int BufferCapacity { get; set; } = 100_000;

    /// <summary>Most rows per COPY batch.</summary>
    public int BatchSize { get; set; } = 5_000;

    /// <summary>A batch smaller than <see cref="BatchSize"/> is written at the latest this long after its first record.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Days of <c>request_log</c> kept; 0 keeps everything. Above 0, older daily partitions are dropped once a day.</summary>
    public int RetentionDays { get; set; }

    /// <summary>
    /// On shutdown, how long to keep writing what is buffered before giving up (and logging what was lost).
    /// Must fit in the host's shutdown timeout together with the HTTP drain.
    /// </summary>
    public TimeSpan ShutdownFlushTimeout { get; set; } = TimeSpan.FromSeconds(20);
}

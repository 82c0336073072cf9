namespace Gateway.Front.Settlement;

/// <summary>How usage reaches the grains, off the response path. Section <c>Settlement</c>.</summary>
public sealed class SettlementOptions
{
    public const string Section = "Settlement";

    /// <summary>Charges are gathered this long and sent as one batch per key.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// How long a batch is retried (same batch id, so a retry never double-charges) before it is given up
    /// and logged: long enough to ride out a silo failure and a Postgres restart or failover, during which
    /// the grain cannot write the spend through. Charges of later flushes wait in the queue meanwhile.
    /// </summary>
    public TimeSpan RetryFor { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Longest pause between two tries of a batch (the pauses grow by 100 ms a try up to this).</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Bound on charges waiting to be sent; beyond it a request waits (backpressure) rather than lose a charge.</summary>
    public int Capacity { get; set; } = 100_000;
}

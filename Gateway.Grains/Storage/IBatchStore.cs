namespace Gateway.Grains.Storage;

/// <summary>
/// Ownership and settlement state of Message Batches (<c>message_batches</c>): which key and team own
/// each batch, what it holds against the budget until settled, and the sweep's work queue. Lives in
/// Postgres so holds and unsettled batches survive any restart; in memory for local runs.
/// </summary>
public interface IBatchStore
{
    Task InsertAsync(BatchRecord batch, CancellationToken cancellationToken = default);

    Task<BatchRecord?> FindAsync(string batchId, CancellationToken cancellationToken = default);

    /// <summary>
    /// A team's batches (not deleted), newest first: <paramref name="afterId"/> pages towards older ones,
    /// <paramref name="beforeId"/> towards newer ones (still returned newest first). One more than
    /// <paramref name="limit"/> may be read to tell whether there are more.
    /// </summary>
    Task<IReadOnlyList<BatchRecord>> ListByTeamAsync(string teamId, int limit, string? beforeId, string? afterId, CancellationToken cancellationToken = default);

    /// <summary>Unsettled batches of a key with their reservations (the key grain's holds).</summary>
    Task<IReadOnlyList<OpenHold>> OpenHoldsAsync(string keyId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Claims up to <paramref name="limit"/> unsettled batches whose next check is due and pushes their
    /// next check <paramref name="recheckAfter"/> away, so concurrent sweeps mostly take different rows
    /// (settlement itself is idempotent, so a row taken twice is still charged once).
    /// </summary>
    Task<IReadOnlyList<BatchRecord>> ClaimDueAsync(int limit, TimeSpan recheckAfter, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Records the upstream status (and end time once ended) of an unsettled batch.</summary>
    Task UpdateStatusAsync(string batchId, string status, DateTimeOffset? endedAt, CancellationToken cancellationToken = default);

    /// <summary>Marks the batch settled with what was charged, unless it already was; false for a repeat.</summary>
    Task<bool> MarkSettledAsync(string batchId, decimal chargedUsd, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>Marks the batch deleted upstream: it leaves its team's list (the row stays for the books).</summary>
    Task MarkDeletedAsync(string batchId, DateTimeOffset at, CancellationToken cancellationToken = default);
}

namespace Gateway.Grains.Abstractions;

/// <summary>
/// One virtual key's buckets, budgets and counters; the single writer of that state in the cluster.
/// Keyed by the key id (stable across secret rotation).
/// </summary>
public interface IApiKeyGrain : IGrainWithStringKey
{
    /// <summary>Grants a slice of the buckets (and takes back the unused rest of the last one).</summary>
    Task<Lease> AcquireLeaseAsync(LeaseRequest request);

    /// <summary>Charges actual usage; idempotent by <see cref="SettlementBatch.BatchId"/>.</summary>
    Task<SpendSnapshot> SettleAsync(SettlementBatch batch);

    /// <summary>Reloads the key from the store (after an admin change or revocation).</summary>
    Task RefreshAsync();

    Task<KeyUsageView> GetUsageAsync();

    /// <summary>
    /// Holds an amount against the budgets (a batch's reservation): null when held, else why not.
    /// Idempotent by <see cref="BatchBudgetHold.HoldId"/>; open batch holds are reloaded on activation.
    /// </summary>
    Task<LeaseDenial?> HoldAsync(BatchBudgetHold hold);

    /// <summary>Releases a hold (no-op when it is not held).</summary>
    Task ReleaseHoldAsync(string holdId);
}

/// <summary>Counters an operator or test can read.</summary>
[GenerateSerializer, Immutable]
public sealed record KeyUsageView
{
    [Id(0)] public long Requests { get; init; }
    [Id(1)] public long InputTokens { get; init; }
    [Id(2)] public long OutputTokens { get; init; }
    [Id(3)] public long CacheCreationInputTokens { get; init; }
    [Id(4)] public long CacheReadInputTokens { get; init; }
    [Id(5)] public decimal SpentTodayUsd { get; init; }
    [Id(6)] public decimal SpentThisMonthUsd { get; init; }
    [Id(7)] public RateLimitSnapshot? Snapshot { get; init; }

    /// <summary>The counts above as one value; reads and sets those fields, which keep their Ids.</summary>
    public TokenUsage Tokens
    {
        get => new(InputTokens, OutputTokens, CacheCreationInputTokens, CacheReadInputTokens);
        init => (InputTokens, OutputTokens, CacheCreationInputTokens, CacheReadInputTokens) = (value.Input, value.Output, value.CacheCreation, value.CacheRead);
    }
}

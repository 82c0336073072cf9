namespace Gateway.Grains.Storage;

/// <summary>
/// Durable spend and bucket levels of each key, so a grain re-activated on another silo after a
/// crash resumes with the budget already spent and the buckets as they were; and the per-minute
/// usage rollups written with the spend.
/// </summary>
public interface ISpendStore
{
    /// <summary>Spend for the UTC day and month containing <paramref name="at"/>, and the last saved buckets.</summary>
    Task<KeySpendState> LoadAsync(string keyId, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>
    /// Unless <paramref name="batchId"/> was applied before, records it and, in the same transaction,
    /// adds the charges' cost to the key's spend on the UTC day of <paramref name="at"/> and each
    /// charge to the key's <c>usage_minute</c> rollup (per model and the charge's own minute).
    /// Returns false for a repeat, which changes nothing.
    /// </summary>
    Task<bool> ApplyAsync(string keyId, Guid batchId, IReadOnlyList<PricedCharge> charges, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>The key's <c>usage_minute</c> rows with a minute in [<paramref name="from"/>, <paramref name="to"/>), ordered by model and minute.</summary>
    Task<IReadOnlyList<UsageMinute>> ReadRollupsAsync(string keyId, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default);

    Task SaveBucketsAsync(string keyId, BucketLevels levels, CancellationToken cancellationToken = default);
}

[GenerateSerializer, Immutable]
public sealed record KeySpendState(
    [property: Id(0)] decimal SpentTodayUsd,
    [property: Id(1)] decimal SpentThisMonthUsd,
    [property: Id(2)] BucketLevels? Buckets);

/// <summary>
/// Token-bucket levels at a moment; null members: that bucket was full or unlimited. <see cref="HeldUsd"/>:
/// the budget money the key's grain held then (running requests, fronts' slices); null without a budget.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record BucketLevels(
    [property: Id(0)] double? Requests,
    [property: Id(1)] double? InputTokens,
    [property: Id(2)] double? OutputTokens,
    [property: Id(3)] DateTimeOffset At,
    [property: Id(4)] decimal? HeldUsd = null);

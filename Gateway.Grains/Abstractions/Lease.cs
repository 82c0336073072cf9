namespace Gateway.Grains.Abstractions;

/// <summary>
/// A slice of a key's buckets, already deducted at the grain: the front may admit against it until
/// <see cref="ValidUntil"/> (at most a second away), then must return the rest and ask again.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record Lease
{
    [Id(0)] public long Requests { get; init; }
    [Id(1)] public long InputTokens { get; init; }
    [Id(2)] public long OutputTokens { get; init; }
    [Id(3)] public DateTimeOffset ValidUntil { get; init; }

    /// <summary>The key as the grain knows it now: a revoked key or a changed limit reaches fronts this way.</summary>
    [Id(4)] public required KeyDescriptor Key { get; init; }

    /// <summary>Why nothing (or less than asked) was granted, and when to try again.</summary>
    [Id(5)] public LeaseDenial? Denial { get; init; }

    /// <summary>Bucket levels after the grant, for <c>anthropic-ratelimit-*</c> response headers.</summary>
    [Id(6)] public required RateLimitSnapshot Snapshot { get; init; }

    /// <summary>How many streams this front may have open on the key (null: no concurrency limit).</summary>
    [Id(7)] public int? StreamQuota { get; init; }

    /// <summary>
    /// USD slice of the key's budget headroom (budget − spent − held), already held at the grain: the front
    /// admits while it covers each request's worst case. Null: the key has no budget (no USD bookkeeping).
    /// </summary>
    [Id(8)] public decimal? Usd { get; init; }

    /// <summary>The grain activation that holds <see cref="Usd"/>: holds are released only to the activation that took them.</summary>
    [Id(9)] public Guid BudgetEpoch { get; init; }
}

[GenerateSerializer, Immutable]
public sealed record LeaseDenial
{
    [Id(0)] public required DenialReason Reason { get; init; }
    [Id(1)] public required string Message { get; init; }
    [Id(2)] public TimeSpan RetryAfter { get; init; }
}

public enum DenialReason
{
    Requests,
    InputTokens,
    OutputTokens,
    DailyBudget,
    MonthlyBudget,
    Revoked,
    SessionRequests,
    SessionBudget,
    ConcurrentStreams,
}

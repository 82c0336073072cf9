namespace Gateway.Grains.Abstractions;

/// <summary>
/// A virtual key's limits. Null means unlimited. Token limits are per minute, refilled continuously
/// (token buckets, as Anthropic's own limits are); budgets are per UTC day and per UTC month.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record KeyLimits
{
    [Id(0)] public long? RequestsPerMinute { get; init; }
    [Id(1)] public long? InputTokensPerMinute { get; init; }
    [Id(2)] public long? OutputTokensPerMinute { get; init; }
    [Id(3)] public int? ConcurrentStreams { get; init; }
    [Id(4)] public decimal? DailyBudgetUsd { get; init; }
    [Id(5)] public decimal? MonthlyBudgetUsd { get; init; }

    public static readonly KeyLimits Unlimited = new();
}

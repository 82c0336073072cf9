using Gateway.Grains.Abstractions;

namespace Gateway.Front.SelfService;

/// <summary>A key's limits as the admin API and the key's own usage show them; null is unlimited.</summary>
internal sealed record LimitsResponse(
    long? RequestsPerMinute,
    long? InputTokensPerMinute,
    long? OutputTokensPerMinute,
    int? ConcurrentStreams,
    decimal? DailyBudgetUsd,
    decimal? MonthlyBudgetUsd)
{
    public static LimitsResponse From(KeyLimits l) => new(l.RequestsPerMinute, l.InputTokensPerMinute,
        l.OutputTokensPerMinute, l.ConcurrentStreams, l.DailyBudgetUsd, l.MonthlyBudgetUsd);
}

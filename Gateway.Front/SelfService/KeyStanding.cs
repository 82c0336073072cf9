using Gateway.Grains.Abstractions;

namespace Gateway.Front.SelfService;

/// <summary>
/// A key's standing at one moment, as its grain holds it: its limits, what is left in each per-minute bucket now
/// (the slices fronts hold already taken out), the spend its budgets are checked against, what is left of each
/// budget and when the day and month roll over (UTC, as the grain rolls them). The admin API
/// (<c>GET /admin/keys/{id}/usage</c>) and the key's own <c>GET /gateway/usage</c> both show this one reading.
/// </summary>
public sealed record KeyStanding
{
    public required KeyDescriptor Key { get; init; }
    public BucketLevel? Requests { get; init; }
    public BucketLevel? InputTokens { get; init; }
    public BucketLevel? OutputTokens { get; init; }
    public decimal SpentTodayUsd { get; init; }
    public decimal SpentThisMonthUsd { get; init; }

    /// <summary>The daily budget less today's spend, never below zero; null without a daily budget.</summary>
    public decimal? DailyBudgetLeftUsd => Left(Key.Limits.DailyBudgetUsd, SpentTodayUsd);

    /// <summary>The monthly budget less this month's spend, never below zero; null without a monthly budget.</summary>
    public decimal? MonthlyBudgetLeftUsd => Left(Key.Limits.MonthlyBudgetUsd, SpentThisMonthUsd);

    /// <summary>When the figures were read from the grain.</summary>
    public required DateTimeOffset ReadAt { get; init; }

    /// <summary>Next 00:00 UTC: today's spend starts again from zero.</summary>
    public DateTimeOffset DayResetsAt => new DateTimeOffset(ReadAt.UtcDateTime.Date, TimeSpan.Zero).AddDays(1);

    /// <summary>The 1st of next month, 00:00 UTC: this month's spend starts again from zero.</summary>
    public DateTimeOffset MonthResetsAt
    {
        get
        {
            var now = ReadAt.UtcDateTime;
            return new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(1);
        }
    }

    public static KeyStanding From(KeyDescriptor key, KeyUsageView usage, DateTimeOffset readAt) => new()
    {
        Key = key,
        Requests = usage.Snapshot?.Requests,
        InputTokens = usage.Snapshot?.InputTokens,
        OutputTokens = usage.Snapshot?.OutputTokens,
        SpentTodayUsd = usage.SpentTodayUsd,
        SpentThisMonthUsd = usage.SpentThisMonthUsd,
        ReadAt = readAt,
    };

    /// <summary>Reads the key's grain (which it activates: the levels are the cluster's, not one front's).</summary>
    public static async Task<KeyStanding> ReadAsync(IGrainFactory grains, KeyDescriptor key, TimeProvider time)
    {
        var usage = await grains.GetGrain<IApiKeyGrain>(key.KeyId).GetUsageAsync();
        return From(key, usage, time.GetUtcNow());
    }

    private static decimal? Left(decimal? budget, decimal spent) => budget is { } b ? Math.Max(0m, b - spent) : null;
}

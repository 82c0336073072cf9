using Gateway.Front.SelfService;
using Gateway.Grains.Abstractions;

namespace Gateway.Tests.SelfService;

/// <summary>The status-bar line: short, invariant-culture figures, only the limits a key has, and a budget that ran out said plainly.</summary>
public sealed class UsageLineTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 15, 30, 0, TimeSpan.Zero);

    private static KeyStanding Standing(KeyLimits limits, decimal today = 0m, decimal month = 0m, string? tag = "team-a",
        BucketLevel? requests = null, BucketLevel? input = null, BucketLevel? output = null) => new()
        {
            Key = new KeyDescriptor { KeyId = "key_1", TeamId = "team_1", BillingTag = tag, Limits = limits },
            SpentTodayUsd = today,
            SpentThisMonthUsd = month,
            Requests = requests,
            InputTokens = input,
            OutputTokens = output,
            ReadAt = Now,
        };

    private static BucketLevel Level(long limit, long remaining) => new(limit, remaining, Now.AddSeconds(10));

    [Fact]
    public void A_key_with_a_daily_budget_and_an_output_limit_reads_as_in_the_docs()
    {
        var line = UsageLine.Format(Standing(new KeyLimits { DailyBudgetUsd = 20m, OutputTokensPerMinute = 80_000 }, today: 1.2m,
            output: Level(80_000, 38_400)));
        Assert.Equal("team-a · $1.20 today / $20 · 38k out-tok/min left", line);
    }

    [Fact]
    public void An_unlimited_key_shows_its_team_and_spend_only()
    {
        Assert.Equal("team_1 · $0.00 today", UsageLine.Format(Standing(KeyLimits.Unlimited, tag: null)));
        Assert.Equal("team_1 · $0.0042 today", UsageLine.Format(Standing(KeyLimits.Unlimited, today: 0.0042m, tag: "")));
    }

    [Fact]
    public void Every_limit_and_a_spent_budget_show()
    {
        var limits = new KeyLimits { RequestsPerMinute = 240, InputTokensPerMinute = 2_000_000, OutputTokensPerMinute = 9_000, DailyBudgetUsd = 5m, MonthlyBudgetUsd = 100.5m };
        var line = UsageLine.Format(Standing(limits, today: 5.01m, month: 42m, requests: Level(240, 12),
            input: Level(2_000_000, 1_240_000), output: Level(9_000, 1_234)));
        Assert.Equal("team-a · $5.01 today / $5 · $42.00 month / $100.5 · budget reached · 12 req, 1.2M in-tok, 1.2k out-tok/min left", line);
    }

    [Theory]
    [InlineData(0, "0")]
    [InlineData(999, "999")]
    [InlineData(1_000, "1k")]
    [InlineData(1_240, "1.2k")]
    [InlineData(38_999, "38k")]
    [InlineData(2_500_000, "2.5M")]
    [InlineData(40_000_000, "40M")]
    public void Counts_are_short(long n, string shown) => Assert.Equal(shown, UsageLine.Count(n));

    [Fact]
    public void Budget_left_and_resets_follow_the_UTC_calendar()
    {
        var standing = Standing(new KeyLimits { DailyBudgetUsd = 5m, MonthlyBudgetUsd = 50m }, today: 6m, month: 10m) with
        {
            ReadAt = new DateTimeOffset(2026, 12, 31, 23, 59, 59, TimeSpan.Zero),
        };
        Assert.Equal(0m, standing.DailyBudgetLeftUsd);
        Assert.Equal(40m, standing.MonthlyBudgetLeftUsd);
        Assert.Equal(new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero), standing.DayResetsAt);
        Assert.Equal(new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero), standing.MonthResetsAt);
        Assert.Null(Standing(KeyLimits.Unlimited).DailyBudgetLeftUsd);
    }
}

namespace Gateway.Front.SelfService;

/// <summary>
/// The figures of a key's live standing (<see cref="KeyStanding"/>) as both the admin API's key usage and the
/// caller's own <c>GET /gateway/usage</c> show them: limits, what is left in each per-minute bucket now (null:
/// unlimited; slices fronts hold are already taken out), the spend the budgets are checked against, what is left
/// of each budget (null: no such budget) and when the day's and month's spend start again (UTC).
/// </summary>
internal abstract record KeyStandingFigures
{
    protected KeyStandingFigures(KeyStanding standing)
    {
        Limits = LimitsResponse.From(standing.Key.Limits);
        RequestsPerMinute = BucketResponse.From(standing.Requests);
        InputTokensPerMinute = BucketResponse.From(standing.InputTokens);
        OutputTokensPerMinute = BucketResponse.From(standing.OutputTokens);
        SpentTodayUsd = standing.SpentTodayUsd;
        SpentThisMonthUsd = standing.SpentThisMonthUsd;
        DailyBudgetLeftUsd = standing.DailyBudgetLeftUsd;
        MonthlyBudgetLeftUsd = standing.MonthlyBudgetLeftUsd;
        DayResetsAt = standing.DayResetsAt;
        MonthResetsAt = standing.MonthResetsAt;
    }

    public LimitsResponse Limits { get; init; }
    public BucketResponse? RequestsPerMinute { get; init; }
    public BucketResponse? InputTokensPerMinute { get; init; }
    public BucketResponse? OutputTokensPerMinute { get; init; }
    public decimal SpentTodayUsd { get; init; }
    public decimal SpentThisMonthUsd { get; init; }
    public decimal? DailyBudgetLeftUsd { get; init; }
    public decimal? MonthlyBudgetLeftUsd { get; init; }
    public DateTimeOffset DayResetsAt { get; init; }
    public DateTimeOffset MonthResetsAt { get; init; }
}

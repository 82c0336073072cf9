namespace Gateway.Front.SelfService;

/// <summary>
/// What <c>GET /gateway/usage</c> tells the caller about its own key (or, signed in, its own user): who it is, its
/// limits, what is left in each per-minute bucket now (null: unlimited; a bucket refills at its limit per minute),
/// its spend today and this month, what is left of each budget (null: no such budget) and when day and month
/// start again (UTC). Nothing about any other key or team.
/// </summary>
internal sealed record SelfUsageResponse
{
    public string Type { get; } = "gateway_usage";
    public required string Id { get; init; }

    /// <summary><c>key</c> for a virtual key, <c>user</c> for a signed-in person (ids <c>usr_…</c>).</summary>
    public required string Kind { get; init; }

    public required string Name { get; init; }
    public required string TeamId { get; init; }
    public string? BillingTag { get; init; }
    public required LimitsResponse Limits { get; init; }
    public BucketResponse? RequestsPerMinute { get; init; }
    public BucketResponse? InputTokensPerMinute { get; init; }
    public BucketResponse? OutputTokensPerMinute { get; init; }
    public decimal SpentTodayUsd { get; init; }
    public decimal SpentThisMonthUsd { get; init; }
    public decimal? DailyBudgetLeftUsd { get; init; }
    public decimal? MonthlyBudgetLeftUsd { get; init; }
    public DateTimeOffset DayResetsAt { get; init; }
    public DateTimeOffset MonthResetsAt { get; init; }

    /// <summary>When the key's grain was read (at most <see cref="SelfServiceOptions.CacheTime"/> ago).</summary>
    public DateTimeOffset AsOf { get; init; }

    /// <summary>Ids of signed-in users (the identity part stores them as keys of kind <c>user</c>) start so.</summary>
    public const string UserIdPrefix = "usr_";

    public static SelfUsageResponse From(KeyStanding standing)
    {
        var key = standing.Key;
        return new SelfUsageResponse
        {
            Id = key.KeyId,
            Kind = key.KeyId.StartsWith(UserIdPrefix, StringComparison.Ordinal) ? "user" : "key",
            Name = key.Name,
            TeamId = key.TeamId,
            BillingTag = key.BillingTag,
            Limits = LimitsResponse.From(key.Limits),
            RequestsPerMinute = BucketResponse.From(standing.Requests),
            InputTokensPerMinute = BucketResponse.From(standing.InputTokens),
            OutputTokensPerMinute = BucketResponse.From(standing.OutputTokens),
            SpentTodayUsd = standing.SpentTodayUsd,
            SpentThisMonthUsd = standing.SpentThisMonthUsd,
            DailyBudgetLeftUsd = standing.DailyBudgetLeftUsd,
            MonthlyBudgetLeftUsd = standing.MonthlyBudgetLeftUsd,
            DayResetsAt = standing.DayResetsAt,
            MonthResetsAt = standing.MonthResetsAt,
            AsOf = standing.ReadAt,
        };
    }
}

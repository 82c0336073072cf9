namespace Gateway.Grains.Storage;

/// <summary>
/// The allow-list of views the console's reports may read: a request names one of these or gets a 404, so no
/// client string ever reaches SQL as a name. Each maps to a fixed query in <see cref="PostgresUsageReports"/>.
/// </summary>
public static class UsageReportNames
{
    public const string SpendByTeamDay = "spend_by_team_day";
    public const string SpendByBillingTagDay = "spend_by_billing_tag_day";
    public const string TopSessions = "top_sessions";
    public const string RepeatedPrompts = "repeated_prompts";
    public const string CacheSavingsByTeam = "cache_savings_by_team";
    public const string CacheSavingsByKey = "cache_savings_by_key";
    public const string LatencyByModel = "latency_by_model";
    public const string SpendByHourOfDay = "spend_by_hour_of_day";
    public const string ToolCallPatterns = "tool_call_patterns";

    public static IReadOnlyList<string> All { get; } =
    [
        SpendByTeamDay, SpendByBillingTagDay, TopSessions, RepeatedPrompts, CacheSavingsByTeam, CacheSavingsByKey,
        LatencyByModel, SpendByHourOfDay, ToolCallPatterns,
    ];

    /// <summary>The allow-listed name equal to <paramref name="name"/> (ordinal), or null.</summary>
    public static string? Find(string? name) => All.FirstOrDefault(n => string.Equals(n, name, StringComparison.Ordinal));
}

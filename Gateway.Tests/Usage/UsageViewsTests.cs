using static Gateway.Tests.Usage.UsageWorkload;
using static Gateway.Tests.Usage.ViewRows;

namespace Gateway.Tests.Usage;

/// <summary>
/// Every view of 0004_views.sql against the known workload, with answers worked out by hand from the
/// figures in <see cref="UsageWorkload"/> (so a wrong view, not a changed workload, fails these).
/// Other tests of the collection write only in 2027, so these filter to November–December 2026.
/// </summary>
[Collection(UsageClusterCollection.Name)]
public sealed class UsageViewsTests(UsageClusterFixture fixture)
{
    // request_log's partitions name their copies of request_log_day themselves: match its condition.
    private const string RequestLogDayIndex = "Index Cond: (((at AT TIME ZONE 'UTC'::text))::date";

    private const string Range = "day BETWEEN '2026-11-01' AND '2026-12-31'";
    private static readonly DateOnly Nov = new(2026, 11, 1), Dec = new(2026, 12, 1);
    private static readonly DateOnly Nov3 = new(2026, 11, 3), Nov4 = new(2026, 11, 4), Nov5 = new(2026, 11, 5);

    private UsageWorkload W => fixture.Workload;
    private string A => W.Alpha.TeamId;
    private string B => W.Beta.TeamId;
    private string AlphaName => W.Alpha.Name;
    private string BetaName => W.Beta.Name;

    [Fact]
    public async Task Grains_wrote_one_rollup_row_per_key_model_and_minute_and_the_retried_batch_counted_once()
    {
        var rows = await QueryAsync(fixture.DataSource, """
            SELECT key_id, model, minute, requests, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens,
                   cost_usd, cache_savings_usd, tool_calls
            FROM usage_minute WHERE key_id = ANY(@keys) ORDER BY minute, key_id COLLATE "C"
            """, ("keys", new[] { W.A1, W.A2, W.B1, GhostKey }));
        AssertRows(
        [
            Row(W.A1, Sonnet, Utc(11, 3, 9, 15), 2, 1200, 600, 2000, 2000, 0.0207m, 0.0039m, 3),
            Row(W.A1, Haiku, Utc(11, 3, 14, 5), 1, 10_000, 1000, 0, 0, 0.015m, 0m, 0),
            Row(W.B1, Sonnet, Utc(11, 4, 9, 30), 1, 100_000, 10_000, 0, 0, 0.45m, 0m, 0),
            Row(W.A2, Opus, Utc(11, 4, 23, 59), 1, 2000, 2000, 0, 10_000, 0.065m, 0.045m, 5),
            Row(GhostKey, Haiku, Utc(11, 5, 12, 0), 1, 0, 1000, 0, 0, 0.005m, 0m, 0),
            Row(W.B1, Sonnet, Utc(12, 1, 0, 0), 1, 1000, 0, 0, 0, 0.003m, 0m, 0),
        ], rows);

        // The key's spend (by settlement day) and its rollups (by request minute) add up to the same money.
        var spend = await QueryAsync(fixture.DataSource,
            "SELECT key_id, sum(spent_usd) FROM key_spend WHERE key_id = ANY(@keys) GROUP BY key_id ORDER BY sum(spent_usd)",
            ("keys", new[] { W.A1, W.A2, W.B1, GhostKey }));
        AssertRows([Row(GhostKey, 0.005m), Row(W.A1, 0.0357m), Row(W.A2, 0.065m), Row(W.B1, 0.453m)], spend);
    }

    [Fact]
    public async Task Spend_by_team_per_day_and_month()
    {
        AssertRows(
        [
            Row(Nov3, A, AlphaName, 3, 11_200, 1600, 2000, 2000, 0.0357m, 0.0039m, 3),
            Row(Nov4, A, AlphaName, 1, 2000, 2000, 0, 10_000, 0.065m, 0.045m, 5),
            Row(Nov4, B, BetaName, 1, 100_000, 10_000, 0, 0, 0.45m, 0m, 0),
            Row(Nov5, null, null, 1, 0, 1000, 0, 0, 0.005m, 0m, 0),
            Row(Dec, B, BetaName, 1, 1000, 0, 0, 0, 0.003m, 0m, 0),
        ], await QueryAsync(fixture.DataSource, $"""SELECT * FROM spend_by_team_day WHERE {Range} ORDER BY day, team_name COLLATE "C" NULLS LAST"""));

        AssertRows(
        [
            Row(Nov, A, AlphaName, 4, 13_200, 3600, 2000, 12_000, 0.1007m, 0.0489m, 8),
            Row(Nov, B, BetaName, 1, 100_000, 10_000, 0, 0, 0.45m, 0m, 0),
            Row(Nov, null, null, 1, 0, 1000, 0, 0, 0.005m, 0m, 0),
            Row(Dec, B, BetaName, 1, 1000, 0, 0, 0, 0.003m, 0m, 0),
        ], await QueryAsync(fixture.DataSource,
            """SELECT * FROM spend_by_team_month WHERE month IN ('2026-11-01', '2026-12-01') ORDER BY month, team_name COLLATE "C" NULLS LAST"""));
    }

    [Fact]
    public async Task Spend_by_billing_tag_per_day_and_month_uses_the_keys_tag_else_its_teams()
    {
        AssertRows(
        [
            Row(Nov3, "cc-100", 3, 11_200, 1600, 2000, 2000, 0.0357m, 0.0039m, 3),
            Row(Nov4, "cc-200", 1, 2000, 2000, 0, 10_000, 0.065m, 0.045m, 5),
            Row(Nov4, null, 1, 100_000, 10_000, 0, 0, 0.45m, 0m, 0),
            Row(Nov5, null, 1, 0, 1000, 0, 0, 0.005m, 0m, 0),
            Row(Dec, null, 1, 1000, 0, 0, 0, 0.003m, 0m, 0),
        ], await QueryAsync(fixture.DataSource, $"""SELECT * FROM spend_by_billing_tag_day WHERE {Range} ORDER BY day, billing_tag COLLATE "C" NULLS LAST"""));

        AssertRows(
        [
            Row(Nov, "cc-100", 3, 11_200, 1600, 2000, 2000, 0.0357m, 0.0039m, 3),
            Row(Nov, "cc-200", 1, 2000, 2000, 0, 10_000, 0.065m, 0.045m, 5),
            Row(Nov, null, 2, 100_000, 11_000, 0, 0, 0.455m, 0m, 0),
            Row(Dec, null, 1, 1000, 0, 0, 0, 0.003m, 0m, 0),
        ], await QueryAsync(fixture.DataSource,
            """SELECT * FROM spend_by_billing_tag_month WHERE month IN ('2026-11-01', '2026-12-01') ORDER BY month, billing_tag COLLATE "C" NULLS LAST"""));
    }

    [Fact]
    public async Task Billing_export_view_has_a_line_per_tag_team_and_model()
    {
        AssertRows(
        [
            Row(Nov, "cc-100", A, AlphaName, Haiku, 1, 10_000, 1000, 0, 0, 0.015m, 0m),
            Row(Nov, "cc-100", A, AlphaName, Sonnet, 2, 1200, 600, 2000, 2000, 0.0207m, 0.0039m),
            Row(Nov, "cc-200", A, AlphaName, Opus, 1, 2000, 2000, 0, 10_000, 0.065m, 0.045m),
            Row(Nov, null, B, BetaName, Sonnet, 1, 100_000, 10_000, 0, 0, 0.45m, 0m),
            Row(Nov, null, null, null, Haiku, 1, 0, 1000, 0, 0, 0.005m, 0m),
        ], await QueryAsync(fixture.DataSource, """
            SELECT * FROM billing_export_month WHERE month = '2026-11-01'
            ORDER BY billing_tag COLLATE "C" NULLS LAST, team_name COLLATE "C", team_id COLLATE "C", model COLLATE "C"
            """));
    }

    [Fact]
    public async Task Top_sessions_are_the_most_expensive_first_with_team_key_and_duration()
    {
        AssertRows(
        [
            Row("s-3", B, BetaName, W.B1, "b1", 0.453m, 0m, 2, 0, 101_000, 10_000, 0, 0,
                Utc(11, 4, 9, 30, 0), Utc(12, 1, 0, 0, 10), new TimeSpan(26, 14, 30, 10)),
            // Reported without a team: the key's team.
            Row("s-2", A, AlphaName, W.A2, "a2", 0.065m, 0.045m, 1, 5, 2000, 2000, 0, 10_000,
                Utc(11, 4, 23, 59, 30), Utc(11, 4, 23, 59, 30), TimeSpan.Zero),
            Row("s-1", A, AlphaName, W.A1, "a1", 0.0207m, 0.0039m, 2, 3, 1200, 600, 2000, 2000,
                Utc(11, 3, 9, 15, 10), Utc(11, 3, 9, 15, 40), TimeSpan.FromSeconds(30)),
        ], await QueryAsync(fixture.DataSource, "SELECT * FROM top_sessions WHERE session_id IN ('s-1', 's-2', 's-3')"));
    }

    [Fact]
    public async Task Repeated_prompts_per_day_with_sessions_tokens_and_cache_reads()
    {
        AssertRows(
        [
            Row(Nov3, "h1", 3, 2, 1, 1700, 2000, 2000, 5700, 1, true, 0.0222m, Utc(11, 3, 9, 15, 10), Utc(11, 3, 10, 0, 0)),
            Row(Nov3, "h2", 2, 1, 1, 300, 0, 0, 300, 0, false, 0.0009m, Utc(11, 3, 10, 1, 0), Utc(11, 3, 10, 2, 0)),
            // One of the two requests had no session (not counted), from two keys.
            Row(Nov3, "h3", 2, 1, 2, 100, 0, 0, 100, 0, false, 0.0001m, Utc(11, 3, 10, 3, 0), Utc(11, 3, 12, 0, 0)),
            Row(Nov4, "h1", 2, 1, 1, 100_000, 0, 500, 100_500, 1, true, 0.45015m, Utc(11, 4, 9, 30, 0), Utc(11, 4, 9, 31, 0)),
        ], await QueryAsync(fixture.DataSource, $"SELECT * FROM repeated_prompts WHERE {Range} ORDER BY day, prompt_prefix_hash"));
    }

    [Fact]
    public async Task Tool_call_patterns_count_calls_requests_and_sessions_per_team_and_day()
    {
        var expected = new List<object?[]>
        {
            Row(Nov3, A, "Bash", 1, 1, 1),
            Row(Nov3, A, "Edit", 1, 1, 1),
            Row(Nov3, A, "Read", 4, 3, 2),
            Row(Nov3, B, "Bash", 1, 1, 0),
            Row(Nov4, B, "Bash", 2, 1, 1),
        };
        // Team ids are random: order as the query does.
        expected = [.. expected.OrderBy(r => (DateOnly)r[0]!).ThenBy(r => (string)r[1]!, StringComparer.Ordinal).ThenBy(r => (string)r[2]!, StringComparer.Ordinal)];
        AssertRows(expected, await QueryAsync(fixture.DataSource,
            $"""SELECT * FROM tool_call_patterns WHERE {Range} ORDER BY day, team_id COLLATE "C", tool_name COLLATE "C" """));
    }

    [Fact]
    public async Task Latency_percentiles_per_model_and_day_over_successful_requests()
    {
        AssertRows(
        [
            // q7 (429, never served) counts as a haiku error; q8 is its only success.
            Row(Nov3, Haiku, 2, 1, 50.0, 50.0, 50.0, 5.0, 5.0, 5.0),
            // Successes 100..500 ms (q6's 529 excluded); ttfb 10..40 (q5 has none).
            Row(Nov3, Sonnet, 6, 1, 300.0, 480.0, 496.0, 25.0, 38.5, 39.7),
            Row(Nov4, Sonnet, 2, 0, 2000.0, 2900.0, 2980.0, 200.0, 290.0, 298.0),
        ], await QueryAsync(fixture.DataSource, $"SELECT * FROM latency_by_model WHERE {Range} ORDER BY day, model"));
    }

    [Fact]
    public async Task Spend_by_hour_of_day_per_team_and_the_curve_over_a_month()
    {
        AssertRows(
        [
            Row(Nov3, 9, A, AlphaName, 2, 5800, 0.0207m, 0.0039m),
            Row(Nov3, 14, A, AlphaName, 1, 11_000, 0.015m, 0m),
            Row(Nov4, 9, B, BetaName, 1, 110_000, 0.45m, 0m),
            Row(Nov4, 23, A, AlphaName, 1, 14_000, 0.065m, 0.045m),
            Row(Nov5, 12, null, null, 1, 1000, 0.005m, 0m),
            Row(Dec, 0, B, BetaName, 1, 1000, 0.003m, 0m),
        ], await QueryAsync(fixture.DataSource, $"""SELECT * FROM spend_by_hour_of_day WHERE {Range} ORDER BY day, hour_utc, team_name COLLATE "C" NULLS LAST"""));

        // The documented curve query: November, all teams, by hour.
        AssertRows(
            [Row(9, 0.4707m), Row(12, 0.005m), Row(14, 0.015m), Row(23, 0.065m)],
            await QueryAsync(fixture.DataSource, """
                SELECT hour_utc, sum(cost_usd) FROM spend_by_hour_of_day
                WHERE day >= '2026-11-01' AND day < '2026-12-01' GROUP BY hour_utc ORDER BY hour_utc
                """));
    }

    [Fact]
    public async Task Cache_savings_per_key_and_team_against_the_same_traffic_uncached()
    {
        AssertRows(
        [
            // a1: reads saved 0.0054, writes cost 0.0015 extra.
            Row(Nov3, W.A1, "a1", A, 3, 11_200, 2000, 2000, 0.0357m, 0.0039m, 0.0396m),
            Row(Nov4, W.A2, "a2", A, 1, 2000, 0, 10_000, 0.065m, 0.045m, 0.11m),
            Row(Nov4, W.B1, "b1", B, 1, 100_000, 0, 0, 0.45m, 0m, 0.45m),
            Row(Nov5, GhostKey, null, null, 1, 0, 0, 0, 0.005m, 0m, 0.005m),
            Row(Dec, W.B1, "b1", B, 1, 1000, 0, 0, 0.003m, 0m, 0.003m),
        ], await QueryAsync(fixture.DataSource, $"""SELECT * FROM cache_savings_by_key WHERE {Range} ORDER BY day, key_name COLLATE "C" NULLS LAST"""));

        AssertRows(
        [
            Row(Nov3, A, AlphaName, 3, 11_200, 2000, 2000, 0.0357m, 0.0039m, 0.0396m),
            Row(Nov4, A, AlphaName, 1, 2000, 0, 10_000, 0.065m, 0.045m, 0.11m),
            Row(Nov4, B, BetaName, 1, 100_000, 0, 0, 0.45m, 0m, 0.45m),
            Row(Nov5, null, null, 1, 0, 0, 0, 0.005m, 0m, 0.005m),
            Row(Dec, B, BetaName, 1, 1000, 0, 0, 0.003m, 0m, 0.003m),
        ], await QueryAsync(fixture.DataSource, $"""SELECT * FROM cache_savings_by_team WHERE {Range} ORDER BY day, team_name COLLATE "C" NULLS LAST"""));
    }

    [Theory]
    [InlineData("SELECT * FROM spend_by_team_day WHERE day = '2026-11-03'", "usage_minute_day")]
    [InlineData("SELECT * FROM spend_by_billing_tag_day WHERE day >= '2026-11-01'", "usage_minute_day")]
    [InlineData("SELECT * FROM spend_by_team_month WHERE month = '2026-11-01'", "usage_minute_month")]
    [InlineData("SELECT * FROM spend_by_billing_tag_month WHERE month = '2026-11-01'", "usage_minute_month")]
    [InlineData("SELECT * FROM billing_export_month WHERE month = '2026-11-01'", "usage_minute_month")]
    [InlineData("SELECT * FROM spend_by_hour_of_day WHERE day = '2026-11-03'", "usage_minute_day")]
    [InlineData("SELECT * FROM cache_savings_by_key WHERE day = '2026-11-03'", "usage_minute_day")]
    [InlineData("SELECT * FROM cache_savings_by_team WHERE day = '2026-11-03'", "usage_minute_day")]
    [InlineData("SELECT * FROM top_sessions LIMIT 10", "session_usage_cost")]
    [InlineData("SELECT * FROM repeated_prompts WHERE day = '2026-11-03'", RequestLogDayIndex)]
    [InlineData("SELECT * FROM tool_call_patterns WHERE day = '2026-11-03'", RequestLogDayIndex)]
    [InlineData("SELECT * FROM latency_by_model WHERE day = '2026-11-03'", RequestLogDayIndex)]
    public async Task A_filter_on_the_views_day_or_month_reaches_an_index(string query, string index)
    {
        // The tables are tiny here, so forbid sequential scans to see whether an index *can* serve the filter.
        await using var connection = await fixture.DataSource.OpenConnectionAsync();
        await using (var off = connection.CreateCommand())
        {
            off.CommandText = "SET enable_seqscan = off";
            await off.ExecuteNonQueryAsync();
        }
        await using var explain = connection.CreateCommand();
        explain.CommandText = "EXPLAIN " + query;
        var plan = new List<string>();
        await using (var reader = await explain.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                plan.Add(reader.GetString(0));
            }
        }
        var text = string.Join(Environment.NewLine, plan);
        Assert.DoesNotContain("Seq Scan on usage_minute", text);
        Assert.DoesNotContain("Seq Scan on request_log", text);
        Assert.DoesNotContain("Seq Scan on session_usage", text);
        Assert.True(text.Contains(index, StringComparison.Ordinal), text);
    }
}

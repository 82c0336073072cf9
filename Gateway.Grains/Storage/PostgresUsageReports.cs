using System.Collections.Frozen;
using Npgsql;

namespace Gateway.Grains.Storage;

/// <summary>
/// <see cref="IUsageReports"/> on the views of 0004_views.sql. Every query is a constant here, filtered on the view's
/// indexed <c>day</c> column (so the index the migration made serves it; <c>top_sessions</c> has none and filters on
/// <c>last_seen</c>) and cut at <c>LIMIT @limit</c>: a report can never scan more than its days nor return more than
/// its limit. Read-only: nothing here writes.
/// </summary>
public sealed class PostgresUsageReports(NpgsqlDataSource dataSource) : IUsageReports
{
    private const string SpendColumns = """
        requests, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, cost_usd, cache_savings_usd
        """;

    /// <summary>The query per allow-listed view; <c>@since</c> is the first UTC day, <c>@limit</c> the row cap.</summary>
    public static FrozenDictionary<string, string> Queries { get; } = new Dictionary<string, string>
    {
        [UsageReportNames.SpendByTeamDay] = $"""
            SELECT day, team_id, team_name, {SpendColumns} FROM spend_by_team_day
            WHERE day >= @since ORDER BY day DESC, cost_usd DESC, team_id COLLATE "C" LIMIT @limit
            """,
        [UsageReportNames.SpendByBillingTagDay] = $"""
            SELECT day, billing_tag, {SpendColumns} FROM spend_by_billing_tag_day
            WHERE day >= @since ORDER BY day DESC, cost_usd DESC, billing_tag COLLATE "C" NULLS LAST LIMIT @limit
            """,
        [UsageReportNames.TopSessions] = """
            SELECT session_id, team_id, team_name, key_id, key_name, cost_usd, cache_savings_usd, requests, tool_calls,
                   input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, first_seen, last_seen, duration
            FROM top_sessions
            WHERE last_seen >= (@since::date)::timestamp AT TIME ZONE 'UTC' ORDER BY cost_usd DESC, session_id COLLATE "C" LIMIT @limit
            """,
        [UsageReportNames.RepeatedPrompts] = """
            SELECT day, prompt_prefix_hash, requests, sessions, keys, input_tokens, cache_creation_tokens, cache_read_tokens,
                   total_input_tokens, cache_read_requests, cache_reads_seen, cost_usd, first_at, last_at
            FROM repeated_prompts
            WHERE day >= @since ORDER BY cost_usd DESC, requests DESC, prompt_prefix_hash COLLATE "C" LIMIT @limit
            """,
        [UsageReportNames.CacheSavingsByTeam] = """
            SELECT day, team_id, team_name, requests, input_tokens, cache_creation_tokens, cache_read_tokens, cost_usd,
                   cache_savings_usd, cost_without_cache_usd
            FROM cache_savings_by_team
            WHERE day >= @since ORDER BY day DESC, cache_savings_usd DESC, team_id COLLATE "C" LIMIT @limit
            """,
        [UsageReportNames.CacheSavingsByKey] = """
            SELECT day, key_id, key_name, team_id, requests, input_tokens, cache_creation_tokens, cache_read_tokens, cost_usd,
                   cache_savings_usd, cost_without_cache_usd
            FROM cache_savings_by_key
            WHERE day >= @since ORDER BY day DESC, cache_savings_usd DESC, key_id COLLATE "C" LIMIT @limit
            """,
        [UsageReportNames.LatencyByModel] = """
            SELECT day, model, requests, errors, latency_p50_ms, latency_p95_ms, latency_p99_ms, ttfb_p50_ms, ttfb_p95_ms, ttfb_p99_ms
            FROM latency_by_model
            WHERE day >= @since ORDER BY day DESC, requests DESC, model COLLATE "C" LIMIT @limit
            """,
        [UsageReportNames.SpendByHourOfDay] = """
            SELECT day, hour_utc, team_id, team_name, requests, tokens, cost_usd, cache_savings_usd
            FROM spend_by_hour_of_day
            WHERE day >= @since ORDER BY day DESC, hour_utc, team_id COLLATE "C" LIMIT @limit
            """,
        [UsageReportNames.ToolCallPatterns] = """
            SELECT day, team_id, tool_name, calls, requests, sessions
            FROM tool_call_patterns
            WHERE day >= @since ORDER BY day DESC, calls DESC, tool_name COLLATE "C" LIMIT @limit
            """,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    public async Task<UsageReportTable> ReadAsync(string view, DateOnly since, int limit, CancellationToken cancellationToken = default)
    {
        if (!Queries.TryGetValue(view, out var sql))
        {
            throw new ArgumentOutOfRangeException(nameof(view), view, "Not an allow-listed usage report.");
        }
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);

        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<DateOnly>("since", since));
        command.Parameters.Add(new NpgsqlParameter<int>("limit", limit));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var columns = new string[reader.FieldCount];
        for (var i = 0; i < columns.Length; i++)
        {
            columns[i] = reader.GetName(i);
        }
        var rows = new List<object?[]>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var row = new object?[columns.Length];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }
            rows.Add(row);
        }
        return new UsageReportTable(columns, rows);
    }
}

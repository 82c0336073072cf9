using Gateway.Grains.Abstractions;
using Npgsql;
using NpgsqlTypes;

namespace Gateway.Grains.Storage;

/// <summary>Sessions' usage totals in <c>session_usage</c> (one row per session, upserted with absolute totals).</summary>
public sealed class PostgresSessionStore(NpgsqlDataSource dataSource) : ISessionStore
{
    public async Task<SessionUsageRecord?> LoadAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT key_id, team_id, first_seen, last_seen, requests, input_tokens, output_tokens,
                   cache_creation_tokens, cache_read_tokens, cost_usd, cache_savings_usd, tool_calls
            FROM session_usage WHERE session_id = @session_id
            """);
        command.Parameters.Add(new NpgsqlParameter<string>("session_id", sessionId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }
        return new SessionUsageRecord
        {
            SessionId = sessionId,
            KeyId = reader.IsDBNull(0) ? null : reader.GetString(0),
            TeamId = reader.IsDBNull(1) ? null : reader.GetString(1),
            FirstSeen = reader.GetFieldValue<DateTimeOffset>(2),
            LastSeen = reader.GetFieldValue<DateTimeOffset>(3),
            Requests = reader.GetInt64(4),
            Tokens = new TokenUsage(reader.GetInt64(5), reader.GetInt64(6), reader.GetInt64(7), reader.GetInt64(8)),
            CostUsd = reader.GetDecimal(9),
            CacheSavingsUsd = reader.GetDecimal(10),
            ToolCalls = reader.GetInt64(11),
        };
    }

    public async Task SaveAsync(SessionUsageRecord usage, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(usage);
        // Absolute totals: a repeated write changes nothing, and the WHERE keeps a late write from an
        // older activation (fewer requests) from going back in time.
        await using var command = dataSource.CreateCommand("""
            INSERT INTO session_usage (session_id, key_id, team_id, first_seen, last_seen, requests, input_tokens,
                                       output_tokens, cache_creation_tokens, cache_read_tokens, cost_usd,
                                       cache_savings_usd, tool_calls, updated_at)
            VALUES (@session_id, @key_id, @team_id, @first_seen, @last_seen, @requests, @input_tokens,
                    @output_tokens, @cache_creation_tokens, @cache_read_tokens, @cost_usd,
                    @cache_savings_usd, @tool_calls, now())
            ON CONFLICT (session_id) DO UPDATE SET
                key_id = coalesce(EXCLUDED.key_id, session_usage.key_id),
                team_id = coalesce(EXCLUDED.team_id, session_usage.team_id),
                first_seen = EXCLUDED.first_seen, last_seen = EXCLUDED.last_seen,
                requests = EXCLUDED.requests, input_tokens = EXCLUDED.input_tokens,
                output_tokens = EXCLUDED.output_tokens, cache_creation_tokens = EXCLUDED.cache_creation_tokens,
                cache_read_tokens = EXCLUDED.cache_read_tokens, cost_usd = EXCLUDED.cost_usd,
                cache_savings_usd = EXCLUDED.cache_savings_usd, tool_calls = EXCLUDED.tool_calls,
                updated_at = EXCLUDED.updated_at
            WHERE session_usage.requests <= EXCLUDED.requests
            """);
        var p = command.Parameters;
        p.Add(new NpgsqlParameter<string>("session_id", usage.SessionId));
        p.Add(Text("key_id", usage.KeyId));
        p.Add(Text("team_id", usage.TeamId));
        p.Add(new NpgsqlParameter<DateTimeOffset>("first_seen", usage.FirstSeen.ToUniversalTime()));
        p.Add(new NpgsqlParameter<DateTimeOffset>("last_seen", usage.LastSeen.ToUniversalTime()));
        p.Add(new NpgsqlParameter<long>("requests", usage.Requests));
        p.Add(new NpgsqlParameter<long>("input_tokens", usage.Tokens.Input));
        p.Add(new NpgsqlParameter<long>("output_tokens", usage.Tokens.Output));
        p.Add(new NpgsqlParameter<long>("cache_creation_tokens", usage.Tokens.CacheCreation));
        p.Add(new NpgsqlParameter<long>("cache_read_tokens", usage.Tokens.CacheRead));
        p.Add(new NpgsqlParameter<decimal>("cost_usd", usage.CostUsd) { NpgsqlDbType = NpgsqlDbType.Numeric });
        p.Add(new NpgsqlParameter<decimal>("cache_savings_usd", usage.CacheSavingsUsd) { NpgsqlDbType = NpgsqlDbType.Numeric });
        p.Add(new NpgsqlParameter<long>("tool_calls", usage.ToolCalls));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static NpgsqlParameter Text(string name, string? value) =>
        new(name, NpgsqlDbType.Text) { Value = (object?)value ?? DBNull.Value };
}

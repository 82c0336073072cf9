using Npgsql;
using NpgsqlTypes;

namespace Gateway.Grains.Storage;

/// <summary>
/// Spend per key and UTC day (<c>key_spend</c>), the batches already counted
/// (<c>settlement_batches</c>), usage per key × model × minute (<c>usage_minute</c>), and the last
/// bucket levels (<c>key_buckets</c>) in Postgres.
/// </summary>
public sealed class PostgresSpendStore(NpgsqlDataSource dataSource) : ISpendStore
{
    public async Task<KeySpendState> LoadAsync(string keyId, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        var (day, monthStart, nextMonth) = SpendDays.Of(at);
        await using var batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(Command("""
            SELECT coalesce(sum(spent_usd) FILTER (WHERE day = @day), 0), coalesce(sum(spent_usd), 0)
            FROM key_spend
            WHERE key_id = @key_id AND day >= @month_start AND day < @next_month
            """,
            new NpgsqlParameter<string>("key_id", keyId),
            new NpgsqlParameter<DateOnly>("day", day),
            new NpgsqlParameter<DateOnly>("month_start", monthStart),
            new NpgsqlParameter<DateOnly>("next_month", nextMonth)));
        batch.BatchCommands.Add(Command(
            "SELECT requests, input_tokens, output_tokens, at, held_usd FROM key_buckets WHERE key_id = @key_id",
            new NpgsqlParameter<string>("key_id", keyId)));

        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var today = reader.GetDecimal(0);
        var month = reader.GetDecimal(1);

        await reader.NextResultAsync(cancellationToken);
        BucketLevels? buckets = null;
        if (await reader.ReadAsync(cancellationToken))
        {
            buckets = new BucketLevels(
                reader.IsDBNull(0) ? null : reader.GetDouble(0),
                reader.IsDBNull(1) ? null : reader.GetDouble(1),
                reader.IsDBNull(2) ? null : reader.GetDouble(2),
                reader.GetFieldValue<DateTimeOffset>(3),
                reader.IsDBNull(4) ? null : reader.GetDecimal(4));
        }
        return new KeySpendState(today, month, buckets);
    }

    public async Task<bool> ApplyAsync(string keyId, Guid batchId, IReadOnlyList<PricedCharge> charges, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        var rows = UsageRollups.Group(charges);
        decimal cost = 0;
        foreach (var charge in charges)
        {
            cost += charge.CostUsd;
        }
        // One statement, so one transaction: the batch row, the spend and the rollups commit together
        // or not at all. A concurrent applier of the same batch waits on the batch row's unique index,
        // then finds it taken and adds nothing: the spend and rollup upserts read the rows the batch
        // insert returned, which is none for a repeat. Data-modifying CTEs always run to completion.
        await using var command = dataSource.CreateCommand("""
            WITH batch AS (
                INSERT INTO settlement_batches (batch_id, key_id, applied_at) VALUES (@batch_id, @key_id, now())
                ON CONFLICT (batch_id) DO NOTHING
                RETURNING batch_id
            ),
            spend AS (
                INSERT INTO key_spend (key_id, day, spent_usd)
                SELECT @key_id, @day, @cost FROM batch
                ON CONFLICT (key_id, day) DO UPDATE SET spent_usd = key_spend.spent_usd + EXCLUDED.spent_usd
            ),
            rollup AS (
                INSERT INTO usage_minute (key_id, model, minute, requests, input_tokens, output_tokens,
                                          cache_creation_tokens, cache_read_tokens, cost_usd, cache_savings_usd, tool_calls)
                SELECT @key_id, u.model, u.minute, u.requests, u.input_tokens, u.output_tokens,
                       u.cache_creation_tokens, u.cache_read_tokens, u.cost_usd, u.cache_savings_usd, u.tool_calls
                FROM batch,
                     unnest(@models, @minutes, @requests, @input_tokens, @output_tokens, @cache_creation_tokens,
                            @cache_read_tokens, @costs, @savings, @tool_calls)
                     WITH ORDINALITY AS u(model, minute, requests, input_tokens, output_tokens, cache_creation_tokens,
                                          cache_read_tokens, cost_usd, cache_savings_usd, tool_calls, n)
                ORDER BY u.n
                ON CONFLICT (key_id, model, minute) DO UPDATE SET
                    requests = usage_minute.requests + EXCLUDED.requests,
                    input_tokens = usage_minute.input_tokens + EXCLUDED.input_tokens,
                    output_tokens = usage_minute.output_tokens + EXCLUDED.output_tokens,
                    cache_creation_tokens = usage_minute.cache_creation_tokens + EXCLUDED.cache_creation_tokens,
                    cache_read_tokens = usage_minute.cache_read_tokens + EXCLUDED.cache_read_tokens,
                    cost_usd = usage_minute.cost_usd + EXCLUDED.cost_usd,
                    cache_savings_usd = usage_minute.cache_savings_usd + EXCLUDED.cache_savings_usd,
                    tool_calls = usage_minute.tool_calls + EXCLUDED.tool_calls
            )
            SELECT count(*)::int FROM batch
            """);
        var p = command.Parameters;
        p.Add(new NpgsqlParameter<Guid>("batch_id", batchId));
        p.Add(new NpgsqlParameter<string>("key_id", keyId));
        p.Add(new NpgsqlParameter<DateOnly>("day", SpendDays.Of(at).Day));
        p.Add(new NpgsqlParameter<decimal>("cost", cost) { NpgsqlDbType = NpgsqlDbType.Numeric });
        p.Add(new NpgsqlParameter<string[]>("models", [.. rows.Select(r => r.Model)]) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        p.Add(new NpgsqlParameter<DateTimeOffset[]>("minutes", [.. rows.Select(r => r.Minute)]) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        p.Add(Longs("requests", rows, r => r.Requests));
        p.Add(Longs("input_tokens", rows, r => r.Tokens.Input));
        p.Add(Longs("output_tokens", rows, r => r.Tokens.Output));
        p.Add(Longs("cache_creation_tokens", rows, r => r.Tokens.CacheCreation));
        p.Add(Longs("cache_read_tokens", rows, r => r.Tokens.CacheRead));
        p.Add(Decimals("costs", rows, r => r.CostUsd));
        p.Add(Decimals("savings", rows, r => r.CacheSavingsUsd));
        p.Add(Longs("tool_calls", rows, r => r.ToolCalls));
        return (int)(await command.ExecuteScalarAsync(cancellationToken))! == 1;
    }

    /// <summary>The key's rollup rows with a minute in [<paramref name="from"/>, <paramref name="to"/>), by model and minute.</summary>
    public async Task<IReadOnlyList<UsageMinute>> ReadRollupsAsync(string keyId, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT key_id, model, minute, requests, input_tokens, output_tokens, cache_creation_tokens,
                   cache_read_tokens, cost_usd, cache_savings_usd, tool_calls
            FROM usage_minute
            WHERE key_id = @key_id AND minute >= @from AND minute < @to
            ORDER BY model COLLATE "C", minute
            """);
        command.Parameters.Add(new NpgsqlParameter<string>("key_id", keyId));
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("from", from.ToUniversalTime()));
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("to", to.ToUniversalTime()));
        var rows = new List<UsageMinute>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new UsageMinute(
                reader.GetString(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2),
                reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5), reader.GetInt64(6), reader.GetInt64(7),
                reader.GetDecimal(8), reader.GetDecimal(9), reader.GetInt64(10)));
        }
        return rows;
    }

    public async Task SaveBucketsAsync(string keyId, BucketLevels levels, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(levels);
        await using var command = dataSource.CreateCommand("""
            INSERT INTO key_buckets (key_id, requests, input_tokens, output_tokens, at, held_usd)
            VALUES (@key_id, @requests, @input_tokens, @output_tokens, @at, @held_usd)
            ON CONFLICT (key_id) DO UPDATE SET
                requests = EXCLUDED.requests, input_tokens = EXCLUDED.input_tokens,
                output_tokens = EXCLUDED.output_tokens, at = EXCLUDED.at, held_usd = EXCLUDED.held_usd
            """);
        command.Parameters.Add(new NpgsqlParameter<string>("key_id", keyId));
        command.Parameters.Add(Level("requests", levels.Requests));
        command.Parameters.Add(Level("input_tokens", levels.InputTokens));
        command.Parameters.Add(Level("output_tokens", levels.OutputTokens));
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("at", levels.At.ToUniversalTime()));
        command.Parameters.Add(new NpgsqlParameter("held_usd", NpgsqlDbType.Numeric) { Value = levels.HeldUsd is { } held ? Math.Round(held, 8) : DBNull.Value });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static NpgsqlBatchCommand Command(string sql, params NpgsqlParameter[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.AddRange(parameters);
        return command;
    }

    private static NpgsqlParameter<long[]> Longs(string name, List<PricedCharge> rows, Func<PricedCharge, long> value) =>
        new NpgsqlParameter<long[]>(name, [.. rows.Select(value)]) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint };

    private static NpgsqlParameter<decimal[]> Decimals(string name, List<PricedCharge> rows, Func<PricedCharge, decimal> value) =>
        new NpgsqlParameter<decimal[]>(name, [.. rows.Select(value)]) { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Numeric };

    private static NpgsqlParameter Level(string name, double? value) =>
        new(name, NpgsqlDbType.Double) { Value = value is { } v ? v : DBNull.Value };
}

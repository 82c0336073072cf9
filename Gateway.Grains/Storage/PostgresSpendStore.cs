using Npgsql;
using NpgsqlTypes;

namespace Gateway.Grains.Storage;

/// <summary>
/// Spend per key and UTC day (<c>key_spend</c>), the batches already counted
/// (<c>settlement_batches</c>), and the last bucket levels (<c>key_buckets</c>) in Postgres.
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
            "SELECT requests, input_tokens, output_tokens, at FROM key_buckets WHERE key_id = @key_id",
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
                reader.GetFieldValue<DateTimeOffset>(3));
        }
        return new KeySpendState(today, month, buckets);
    }

    public async Task<bool> ApplyAsync(string keyId, Guid batchId, decimal costUsd, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        // One statement, so one transaction: the batch row and the spend commit together or not at all.
        // A concurrent applier of the same batch waits on the batch row's unique index, then finds it
        // taken and adds nothing; the spend upsert runs only for the row this call inserted.
        await using var command = dataSource.CreateCommand("""
            WITH batch AS (
                INSERT INTO settlement_batches (batch_id, key_id, applied_at) VALUES (@batch_id, @key_id, now())
                ON CONFLICT (batch_id) DO NOTHING
                RETURNING batch_id
            )
            INSERT INTO key_spend (key_id, day, spent_usd)
            SELECT @key_id, @day, @cost FROM batch
            ON CONFLICT (key_id, day) DO UPDATE SET spent_usd = key_spend.spent_usd + EXCLUDED.spent_usd
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid>("batch_id", batchId));
        command.Parameters.Add(new NpgsqlParameter<string>("key_id", keyId));
        command.Parameters.Add(new NpgsqlParameter<DateOnly>("day", SpendDays.Of(at).Day));
        command.Parameters.Add(new NpgsqlParameter<decimal>("cost", costUsd) { NpgsqlDbType = NpgsqlDbType.Numeric });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task SaveBucketsAsync(string keyId, BucketLevels levels, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(levels);
        await using var command = dataSource.CreateCommand("""
            INSERT INTO key_buckets (key_id, requests, input_tokens, output_tokens, at)
            VALUES (@key_id, @requests, @input_tokens, @output_tokens, @at)
            ON CONFLICT (key_id) DO UPDATE SET
                requests = EXCLUDED.requests, input_tokens = EXCLUDED.input_tokens,
                output_tokens = EXCLUDED.output_tokens, at = EXCLUDED.at
            """);
        command.Parameters.Add(new NpgsqlParameter<string>("key_id", keyId));
        command.Parameters.Add(Level("requests", levels.Requests));
        command.Parameters.Add(Level("input_tokens", levels.InputTokens));
        command.Parameters.Add(Level("output_tokens", levels.OutputTokens));
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("at", levels.At.ToUniversalTime()));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static NpgsqlBatchCommand Command(string sql, params NpgsqlParameter[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.AddRange(parameters);
        return command;
    }

    private static NpgsqlParameter Level(string name, double? value) =>
        new(name, NpgsqlDbType.Double) { Value = value is { } v ? v : DBNull.Value };
}

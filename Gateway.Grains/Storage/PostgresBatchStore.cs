using Npgsql;

namespace Gateway.Grains.Storage;

/// <summary><see cref="IBatchStore"/> on the <c>message_batches</c> table (migration 0007).</summary>
public sealed class PostgresBatchStore(NpgsqlDataSource dataSource) : IBatchStore
{
    private const string Columns =
        "batch_id, key_id, team_id, billing_tag, provider, upstream_key_id, request_count, reserved_usd, charged_usd, status, created_at, ended_at, settled_at, deleted_at";

    public async Task InsertAsync(BatchRecord batch, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand($"""
            INSERT INTO message_batches ({Columns}, next_check_at)
            VALUES (@batch_id, @key_id, @team_id, @billing_tag, @provider, @upstream_key_id, @request_count, @reserved_usd, NULL,
                    @status, @created_at, NULL, NULL, NULL, @created_at)
            ON CONFLICT (batch_id) DO NOTHING
            """);
        command.Parameters.Add(new NpgsqlParameter<string>("batch_id", batch.BatchId));
        command.Parameters.Add(new NpgsqlParameter<string>("key_id", batch.KeyId));
        command.Parameters.Add(new NpgsqlParameter<string>("team_id", batch.TeamId));
        command.Parameters.Add(new NpgsqlParameter("billing_tag", (object?)batch.BillingTag ?? DBNull.Value));
        command.Parameters.Add(new NpgsqlParameter<string>("provider", batch.Provider));
        command.Parameters.Add(new NpgsqlParameter<string>("upstream_key_id", batch.UpstreamKeyId));
        command.Parameters.Add(new NpgsqlParameter<int>("request_count", batch.RequestCount));
        command.Parameters.Add(new NpgsqlParameter<decimal>("reserved_usd", batch.ReservedUsd));
        command.Parameters.Add(new NpgsqlParameter<string>("status", batch.Status));
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("created_at", batch.CreatedAt));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<BatchRecord?> FindAsync(string batchId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM message_batches WHERE batch_id = @batch_id");
        command.Parameters.Add(new NpgsqlParameter<string>("batch_id", batchId));
        var rows = await ReadAsync(command, cancellationToken);
        return rows.Count > 0 ? rows[0] : null;
    }

    public async Task<IReadOnlyList<BatchRecord>> ListByTeamAsync(string teamId, int limit, string? beforeId, string? afterId, CancellationToken cancellationToken = default)
    {
        // The cursor must be one of the team's own rows: another team's id matches nothing.
        const string Cursor = "(SELECT created_at, batch_id FROM message_batches WHERE batch_id = @cursor AND team_id = @team_id)";
        var sql = beforeId is not null
            ? $"SELECT {Columns} FROM message_batches WHERE team_id = @team_id AND deleted_at IS NULL AND (created_at, batch_id) > {Cursor} ORDER BY created_at, batch_id LIMIT @limit"
            : afterId is not null
                ? $"SELECT {Columns} FROM message_batches WHERE team_id = @team_id AND deleted_at IS NULL AND (created_at, batch_id) < {Cursor} ORDER BY created_at DESC, batch_id DESC LIMIT @limit"
                : $"SELECT {Columns} FROM message_batches WHERE team_id = @team_id AND deleted_at IS NULL ORDER BY created_at DESC, batch_id DESC LIMIT @limit";
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<string>("team_id", teamId));
        command.Parameters.Add(new NpgsqlParameter<int>("limit", limit + 1));
        command.Parameters.Add(new NpgsqlParameter<string>("cursor", beforeId ?? afterId ?? ""));
        var rows = await ReadAsync(command, cancellationToken);
        if (beforeId is not null)
        {
            rows.Reverse();
        }
        return rows;
    }

    public async Task<IReadOnlyList<OpenHold>> OpenHoldsAsync(string keyId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT batch_id, reserved_usd FROM message_batches WHERE key_id = @key_id AND settled_at IS NULL");
        command.Parameters.Add(new NpgsqlParameter<string>("key_id", keyId));
        var holds = new List<OpenHold>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            holds.Add(new OpenHold(reader.GetString(0), reader.GetDecimal(1)));
        }
        return holds;
    }

    public async Task<IReadOnlyList<BatchRecord>> ClaimDueAsync(int limit, TimeSpan recheckAfter, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand($"""
            UPDATE message_batches SET next_check_at = @next
            WHERE batch_id IN (
                SELECT batch_id FROM message_batches
                WHERE settled_at IS NULL AND next_check_at <= @now
                ORDER BY next_check_at LIMIT @limit
                FOR UPDATE SKIP LOCKED)
            RETURNING {Columns}
            """);
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", now));
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("next", now + recheckAfter));
        command.Parameters.Add(new NpgsqlParameter<int>("limit", limit));
        return await ReadAsync(command, cancellationToken);
    }

    public async Task UpdateStatusAsync(string batchId, string status, DateTimeOffset? endedAt, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            UPDATE message_batches SET status = @status, ended_at = coalesce(ended_at, @ended_at)
            WHERE batch_id = @batch_id AND settled_at IS NULL
            """);
        command.Parameters.Add(new NpgsqlParameter<string>("batch_id", batchId));
        command.Parameters.Add(new NpgsqlParameter<string>("status", status));
        command.Parameters.Add(new NpgsqlParameter("ended_at", (object?)endedAt ?? DBNull.Value) { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<bool> MarkSettledAsync(string batchId, decimal chargedUsd, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            UPDATE message_batches SET settled_at = @at, charged_usd = @charged, status = 'ended'
            WHERE batch_id = @batch_id AND settled_at IS NULL
            """);
        command.Parameters.Add(new NpgsqlParameter<string>("batch_id", batchId));
        command.Parameters.Add(new NpgsqlParameter<decimal>("charged", chargedUsd));
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("at", at));
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task MarkDeletedAsync(string batchId, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE message_batches SET deleted_at = coalesce(deleted_at, @at) WHERE batch_id = @batch_id");
        command.Parameters.Add(new NpgsqlParameter<string>("batch_id", batchId));
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("at", at));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<List<BatchRecord>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var rows = new List<BatchRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new BatchRecord
            {
                BatchId = reader.GetString(0),
                KeyId = reader.GetString(1),
                TeamId = reader.GetString(2),
                BillingTag = reader.IsDBNull(3) ? null : reader.GetString(3),
                Provider = reader.GetString(4),
                UpstreamKeyId = reader.GetString(5),
                RequestCount = reader.GetInt32(6),
                ReservedUsd = reader.GetDecimal(7),
                ChargedUsd = reader.IsDBNull(8) ? null : reader.GetDecimal(8),
                Status = reader.GetString(9),
                CreatedAt = reader.GetFieldValue<DateTimeOffset>(10),
                EndedAt = reader.IsDBNull(11) ? null : reader.GetFieldValue<DateTimeOffset>(11),
                SettledAt = reader.IsDBNull(12) ? null : reader.GetFieldValue<DateTimeOffset>(12),
                DeletedAt = reader.IsDBNull(13) ? null : reader.GetFieldValue<DateTimeOffset>(13),
            });
        }
        return rows;
    }
}

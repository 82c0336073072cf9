using Npgsql;

namespace Gateway.Grains.Storage;

/// <summary>
/// User keys in Postgres: rows of <c>api_keys</c> with <c>kind = 'user'</c> (<c>Migrations/0010_users.sql</c>).
/// A sign-in is one upsert statement, so two fronts signing the same person in at once cannot make two keys.
/// </summary>
public sealed class PostgresUserStore(NpgsqlDataSource dataSource) : IUserStore
{
    // Ordinals after PostgresKeyStore.KeyColumns (0-21).
    private const string UserColumns = $"{PostgresKeyStore.KeyColumns}, k.user_issuer, k.user_subject, k.user_name, k.user_limits_overridden, k.user_last_seen_at";

    public async Task<UserRecord> UpsertUserAsync(UserSignIn signIn, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(signIn);
        await using var command = dataSource.CreateCommand($"""
            WITH k AS (
                INSERT INTO api_keys (key_id, team_id, name, secret_hash, secret_prefix, kind, user_issuer, user_subject, user_name,
                    requests_per_minute, input_tokens_per_minute, output_tokens_per_minute, concurrent_streams,
                    daily_budget_usd, monthly_budget_usd, user_last_seen_at)
                VALUES (@key_id, @team_id, @name, @secret_hash, @secret_prefix, 'user', @issuer, @subject, @name,
                    @requests_per_minute, @input_tokens_per_minute, @output_tokens_per_minute, @concurrent_streams,
                    @daily_budget_usd, @monthly_budget_usd, now())
                ON CONFLICT (key_id) DO UPDATE SET
                    team_id = EXCLUDED.team_id,
                    name = EXCLUDED.name,
                    user_name = EXCLUDED.user_name,
                    requests_per_minute = CASE WHEN api_keys.user_limits_overridden THEN api_keys.requests_per_minute ELSE EXCLUDED.requests_per_minute END,
                    input_tokens_per_minute = CASE WHEN api_keys.user_limits_overridden THEN api_keys.input_tokens_per_minute ELSE EXCLUDED.input_tokens_per_minute END,
                    output_tokens_per_minute = CASE WHEN api_keys.user_limits_overridden THEN api_keys.output_tokens_per_minute ELSE EXCLUDED.output_tokens_per_minute END,
                    concurrent_streams = CASE WHEN api_keys.user_limits_overridden THEN api_keys.concurrent_streams ELSE EXCLUDED.concurrent_streams END,
                    daily_budget_usd = CASE WHEN api_keys.user_limits_overridden THEN api_keys.daily_budget_usd ELSE EXCLUDED.daily_budget_usd END,
                    monthly_budget_usd = CASE WHEN api_keys.user_limits_overridden THEN api_keys.monthly_budget_usd ELSE EXCLUDED.monthly_budget_usd END,
                    user_last_seen_at = now()
                WHERE api_keys.kind = 'user'
                RETURNING *
            )
            SELECT {UserColumns} FROM k JOIN teams t ON t.team_id = k.team_id
            """);
        var p = command.Parameters;
        p.Add(PostgresKeyStore.Text("key_id", UserKeys.IdFor(signIn.Issuer, signIn.Subject)));
        p.Add(PostgresKeyStore.Text("team_id", signIn.TeamId));
        p.Add(PostgresKeyStore.Text("name", signIn.UserName));
        p.Add(PostgresKeyStore.Text("secret_hash", UserKeys.NewLookupHash()));
        p.Add(PostgresKeyStore.Text("secret_prefix", UserKeys.DisplayPrefix));
        p.Add(PostgresKeyStore.Text("issuer", signIn.Issuer));
        p.Add(PostgresKeyStore.Text("subject", signIn.Subject));
        PostgresKeyStore.AddLimits(p, signIn.Limits);
        try
        {
            var users = await ReadUsersAsync(command, cancellationToken);
            return users.Count == 1
                ? users[0]
                : throw new InvalidOperationException($"Key id {UserKeys.IdFor(signIn.Issuer, signIn.Subject)} belongs to a plain key.");
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ForeignKeyViolation)
        {
            throw new KeyStoreException(KeyStoreError.UnknownTeam, $"No team with id '{signIn.TeamId}'.", e);
        }
    }

    public async Task<IReadOnlyList<UserRecord>> ListUsersAsync(string? teamId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT {UserColumns} FROM api_keys k JOIN teams t ON t.team_id = k.team_id
            WHERE k.kind = 'user' AND (@team_id IS NULL OR k.team_id = @team_id)
            ORDER BY k.created_at, k.key_id
            """);
        command.Parameters.Add(PostgresKeyStore.Text("team_id", teamId));
        return await ReadUsersAsync(command, cancellationToken);
    }

    private static async Task<List<UserRecord>> ReadUsersAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var users = new List<UserRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            users.Add(new UserRecord
            {
                Key = PostgresKeyStore.ReadKey(reader),
                Issuer = reader.GetString(22),
                Subject = reader.GetString(23),
                UserName = reader.IsDBNull(24) ? "" : reader.GetString(24),
                LimitsOverridden = reader.GetBoolean(25),
                LastSeenAt = PostgresKeyStore.NullableTime(reader, 26),
            });
        }
        return users;
    }
}

using Gateway.Grains.Abstractions;
using Npgsql;
using NpgsqlTypes;

namespace Gateway.Grains.Storage;

/// <summary>
/// Teams and keys in Postgres (tables <c>teams</c> and <c>api_keys</c>, see
/// <c>Migrations/0001_keys.sql</c>, <c>0005_key_cache_injection.sql</c> and <c>0006_key_open_paths.sql</c>; user keys: <see cref="PostgresUserStore"/>). Parameterised SQL on a shared <see cref="NpgsqlDataSource"/>;
/// every change is one statement, so it is atomic without an explicit transaction.
/// </summary>
public sealed class PostgresKeyStore(NpgsqlDataSource dataSource) : IKeyStore
{
    // How many fresh ids to try when a random id collides (48 random bits: practically never).
    private const int IdAttempts = 3;

    private const string TeamColumns = "team_id, name, billing_tag, created_at";

    // The effective billing tag is the key's own, else its team's. Ordinals are read by ReadKey.
    internal const string KeyColumns = """
        k.key_id, k.team_id, coalesce(k.billing_tag, t.billing_tag), k.name, k.allowed_models,
        k.requests_per_minute, k.input_tokens_per_minute, k.output_tokens_per_minute, k.concurrent_streams,
        k.daily_budget_usd, k.monthly_budget_usd, k.session_max_requests, k.session_max_cost_usd,
        k.revoked_at, k.secret_prefix, k.created_at, k.rotated_at, k.secret_hash, k.cache_injection, k.cache_ttl, k.open_paths, k.kind
        """;

    internal const string SelectKeys = $"SELECT {KeyColumns} FROM api_keys k JOIN teams t ON t.team_id = k.team_id";

    public async Task<KeyDescriptor?> FindByHashAsync(string secretHash, CancellationToken cancellationToken = default) =>
        (await QueryKeyAsync($"{SelectKeys} WHERE k.secret_hash = @hash", Text("hash", secretHash), cancellationToken))?.Key;

    public async Task<KeyDescriptor?> FindByIdAsync(string keyId, CancellationToken cancellationToken = default) =>
        (await GetKeyAsync(keyId, cancellationToken))?.Key;

    public async Task<TeamRecord> CreateTeamAsync(NewTeam team, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(team);
        for (var attempt = 1; ; attempt++)
        {
            await using var command = dataSource.CreateCommand(
                $"INSERT INTO teams (team_id, name, billing_tag) VALUES (@team_id, @name, @billing_tag) RETURNING {TeamColumns}");
            command.Parameters.Add(Text("team_id", StoreIds.NewTeamId()));
            command.Parameters.Add(Text("name", team.Name));
            command.Parameters.Add(Text("billing_tag", EmptyAsNull(team.BillingTag)));
            try
            {
                return (await ReadTeamsAsync(command, cancellationToken))[0];
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation && e.ConstraintName == "teams_pkey" && attempt < IdAttempts)
            {
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation && e.ConstraintName == "teams_name_key")
            {
                throw DuplicateTeamName(team.Name, e);
            }
        }
    }

    public async Task<IReadOnlyList<TeamRecord>> ListTeamsAsync(CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand($"SELECT {TeamColumns} FROM teams ORDER BY created_at, team_id");
        return await ReadTeamsAsync(command, cancellationToken);
    }

    public async Task<TeamRecord?> UpdateTeamAsync(string teamId, TeamUpdate update, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        await using var command = dataSource.CreateCommand($"""
            UPDATE teams SET
                name = coalesce(@name, name),
                billing_tag = CASE WHEN @billing_tag IS NULL THEN billing_tag ELSE nullif(@billing_tag, '') END
            WHERE team_id = @team_id
            RETURNING {TeamColumns}
            """);
        command.Parameters.Add(Text("team_id", teamId));
        command.Parameters.Add(Text("name", update.Name));
        command.Parameters.Add(Text("billing_tag", update.BillingTag));
        try
        {
            var teams = await ReadTeamsAsync(command, cancellationToken);
            return teams.Count == 0 ? null : teams[0];
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation && e.ConstraintName == "teams_name_key")
        {
            throw DuplicateTeamName(update.Name!, e);
        }
    }

    public async Task<KeyDescriptor> CreateKeyAsync(NewKey key, string secretHash, string secretPrefix, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        CacheTtls.ThrowIfInvalid(key.CacheTtl);
        OpenPaths.ThrowIfInvalid(key.OpenPaths);
        for (var attempt = 1; ; attempt++)
        {
            await using var command = dataSource.CreateCommand($"""
                WITH k AS (
                    INSERT INTO api_keys (key_id, team_id, name, billing_tag, secret_hash, secret_prefix, allowed_models,
                        requests_per_minute, input_tokens_per_minute, output_tokens_per_minute, concurrent_streams,
                        daily_budget_usd, monthly_budget_usd, session_max_requests, session_max_cost_usd, cache_injection, cache_ttl, open_paths)
                    VALUES (@key_id, @team_id, @name, @billing_tag, @secret_hash, @secret_prefix, @allowed_models,
                        @requests_per_minute, @input_tokens_per_minute, @output_tokens_per_minute, @concurrent_streams,
                        @daily_budget_usd, @monthly_budget_usd, @session_max_requests, @session_max_cost_usd, @cache_injection, @cache_ttl, @open_paths)
                    RETURNING *
                )
                SELECT {KeyColumns} FROM k JOIN teams t ON t.team_id = k.team_id
                """);
            var p = command.Parameters;
            p.Add(Text("key_id", StoreIds.NewKeyId()));
            p.Add(Text("team_id", key.TeamId));
            p.Add(Text("name", key.Name));
            p.Add(Text("billing_tag", EmptyAsNull(key.BillingTag)));
            p.Add(Text("secret_hash", secretHash));
            p.Add(Text("secret_prefix", secretPrefix));
            p.Add(TextArray("allowed_models", key.AllowedModels));
            AddLimits(p, key.Limits);
            AddSessionLimits(p, key.SessionLimits);
            p.Add(Param("cache_injection", NpgsqlDbType.Boolean, key.CacheInjection));
            p.Add(Text("cache_ttl", key.CacheTtl));
            p.Add(TextArray("open_paths", key.OpenPaths));
            try
            {
                return (await ReadKeysAsync(command, cancellationToken))[0].Key;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation && e.ConstraintName == "api_keys_pkey" && attempt < IdAttempts)
            {
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ForeignKeyViolation)
            {
                throw new KeyStoreException(KeyStoreError.UnknownTeam, $"No team with id '{key.TeamId}'.", e);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation && e.ConstraintName == "api_keys_secret_hash_key")
            {
                throw new KeyStoreException(KeyStoreError.DuplicateSecret, "Another key already has this secret.", e);
            }
        }
    }

    public async Task<IReadOnlyList<KeyRecord>> ListKeysAsync(string? teamId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            $"{SelectKeys} WHERE @team_id IS NULL OR k.team_id = @team_id ORDER BY k.created_at, k.key_id");
        command.Parameters.Add(Text("team_id", teamId));
        return await ReadKeysAsync(command, cancellationToken);
    }

    public Task<KeyRecord?> GetKeyAsync(string keyId, CancellationToken cancellationToken = default) =>
        QueryKeyAsync($"{SelectKeys} WHERE k.key_id = @key_id", Text("key_id", keyId), cancellationToken);

    public async Task<KeyRecord?> UpdateKeyAsync(string keyId, KeyUpdate update, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        CacheTtls.ThrowIfInvalid(update.CacheTtl, emptyClears: true);
        OpenPaths.ThrowIfInvalid(update.OpenPaths);
        await using var command = dataSource.CreateCommand($"""
            WITH k AS (
                UPDATE api_keys SET
                    name = coalesce(@name, name),
                    billing_tag = CASE WHEN @billing_tag IS NULL THEN billing_tag ELSE nullif(@billing_tag, '') END,
                    allowed_models = coalesce(@allowed_models, allowed_models),
                    requests_per_minute = CASE WHEN @set_limits THEN @requests_per_minute ELSE requests_per_minute END,
                    input_tokens_per_minute = CASE WHEN @set_limits THEN @input_tokens_per_minute ELSE input_tokens_per_minute END,
                    output_tokens_per_minute = CASE WHEN @set_limits THEN @output_tokens_per_minute ELSE output_tokens_per_minute END,
                    concurrent_streams = CASE WHEN @set_limits THEN @concurrent_streams ELSE concurrent_streams END,
                    daily_budget_usd = CASE WHEN @set_limits THEN @daily_budget_usd ELSE daily_budget_usd END,
                    monthly_budget_usd = CASE WHEN @set_limits THEN @monthly_budget_usd ELSE monthly_budget_usd END,
                    session_max_requests = CASE WHEN @set_session THEN @session_max_requests ELSE session_max_requests END,
                    session_max_cost_usd = CASE WHEN @set_session THEN @session_max_cost_usd ELSE session_max_cost_usd END,
                    cache_injection = CASE WHEN @reset_cache_injection THEN NULL ELSE coalesce(@cache_injection, cache_injection) END,
                    cache_ttl = CASE WHEN @cache_ttl IS NULL THEN cache_ttl ELSE nullif(@cache_ttl, '') END,
                    open_paths = coalesce(@open_paths, open_paths),
                    -- A user's limits set here outlive the team's per-user policy at the next sign-in (0010_users.sql).
                    user_limits_overridden = user_limits_overridden OR (@set_limits AND kind = 'user')
                WHERE key_id = @key_id
                RETURNING *
            )
            SELECT {KeyColumns} FROM k JOIN teams t ON t.team_id = k.team_id
            """);
        var p = command.Parameters;
        p.Add(Text("key_id", keyId));
        p.Add(Text("name", update.Name));
        p.Add(Text("billing_tag", update.BillingTag));
        p.Add(TextArray("allowed_models", update.AllowedModels));
        p.Add(new NpgsqlParameter<bool>("set_limits", update.Limits is not null));
        p.Add(new NpgsqlParameter<bool>("set_session", update.SessionLimits is not null));
        AddLimits(p, update.Limits ?? KeyLimits.Unlimited);
        AddSessionLimits(p, update.SessionLimits);
        p.Add(Param("cache_injection", NpgsqlDbType.Boolean, update.CacheInjection));
        p.Add(new NpgsqlParameter<bool>("reset_cache_injection", update.ResetCacheInjection));
        p.Add(Text("cache_ttl", update.CacheTtl));
        p.Add(TextArray("open_paths", update.OpenPaths));
        var keys = await ReadKeysAsync(command, cancellationToken);
        return keys.Count == 0 ? null : keys[0];
    }

    public async Task<string?> RotateKeyAsync(string keyId, string newSecretHash, string newSecretPrefix, CancellationToken cancellationToken = default)
    {
        // The row lock of the sub-select makes concurrent rotations of one key return distinct old hashes.
        await using var command = dataSource.CreateCommand("""
            UPDATE api_keys k SET secret_hash = @secret_hash, secret_prefix = @secret_prefix, rotated_at = now()
            FROM (SELECT key_id, secret_hash FROM api_keys WHERE key_id = @key_id FOR UPDATE) old
            WHERE k.key_id = old.key_id
            RETURNING old.secret_hash
            """);
        command.Parameters.Add(Text("key_id", keyId));
        command.Parameters.Add(Text("secret_hash", newSecretHash));
        command.Parameters.Add(Text("secret_prefix", newSecretPrefix));
        try
        {
            return (string?)await command.ExecuteScalarAsync(cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw new KeyStoreException(KeyStoreError.DuplicateSecret, "Another key already has this secret.", e);
        }
    }

    public async Task<string?> RevokeKeyAsync(string keyId, CancellationToken cancellationToken = default)
    {
        // Revoking twice keeps the first time.
        await using var command = dataSource.CreateCommand(
            "UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE key_id = @key_id RETURNING secret_hash");
        command.Parameters.Add(Text("key_id", keyId));
        return (string?)await command.ExecuteScalarAsync(cancellationToken);
    }

    private async Task<KeyRecord?> QueryKeyAsync(string sql, NpgsqlParameter parameter, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.Add(parameter);
        var keys = await ReadKeysAsync(command, cancellationToken);
        return keys.Count == 0 ? null : keys[0];
    }

    private static async Task<List<KeyRecord>> ReadKeysAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var keys = new List<KeyRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            keys.Add(ReadKey(reader));
        }
        return keys;
    }

    internal static KeyRecord ReadKey(NpgsqlDataReader r)
    {
        var sessionMaxRequests = NullableInt64(r, 11);
        var sessionMaxCost = NullableDecimal(r, 12);
        var revokedAt = NullableTime(r, 13);
        var descriptor = new KeyDescriptor
        {
            KeyId = r.GetString(0),
            TeamId = r.GetString(1),
            BillingTag = r.IsDBNull(2) ? null : r.GetString(2),
            Name = r.GetString(3),
            AllowedModels = r.GetFieldValue<string[]>(4),
            Limits = new KeyLimits
            {
                RequestsPerMinute = NullableInt64(r, 5),
                InputTokensPerMinute = NullableInt64(r, 6),
                OutputTokensPerMinute = NullableInt64(r, 7),
                ConcurrentStreams = r.IsDBNull(8) ? null : r.GetInt32(8),
                DailyBudgetUsd = NullableDecimal(r, 9),
                MonthlyBudgetUsd = NullableDecimal(r, 10),
            },
            SessionLimits = sessionMaxRequests is null && sessionMaxCost is null
                ? null
                : new SessionLimits { MaxRequests = sessionMaxRequests, MaxCostUsd = sessionMaxCost },
            Revoked = revokedAt is not null,
            CacheInjection = r.IsDBNull(18) ? null : r.GetBoolean(18),
            CacheTtl = r.IsDBNull(19) ? null : r.GetString(19),
            OpenPaths = r.GetFieldValue<string[]>(20),
        };
        return new KeyRecord
        {
            Key = descriptor,
            SecretPrefix = r.GetString(14),
            CreatedAt = r.GetFieldValue<DateTimeOffset>(15),
            RevokedAt = revokedAt,
            RotatedAt = NullableTime(r, 16),
            SecretHash = r.GetString(17),
            Kind = r.GetString(21),
        };
    }

    private static async Task<List<TeamRecord>> ReadTeamsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var teams = new List<TeamRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            teams.Add(new TeamRecord(reader.GetString(0), reader.GetString(1),
                reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3)));
        }
        return teams;
    }

    internal static void AddLimits(NpgsqlParameterCollection p, KeyLimits limits)
    {
        p.Add(Param("requests_per_minute", NpgsqlDbType.Bigint, limits.RequestsPerMinute));
        p.Add(Param("input_tokens_per_minute", NpgsqlDbType.Bigint, limits.InputTokensPerMinute));
        p.Add(Param("output_tokens_per_minute", NpgsqlDbType.Bigint, limits.OutputTokensPerMinute));
        p.Add(Param("concurrent_streams", NpgsqlDbType.Integer, limits.ConcurrentStreams));
        p.Add(Param("daily_budget_usd", NpgsqlDbType.Numeric, limits.DailyBudgetUsd));
        p.Add(Param("monthly_budget_usd", NpgsqlDbType.Numeric, limits.MonthlyBudgetUsd));
    }

    private static void AddSessionLimits(NpgsqlParameterCollection p, SessionLimits? limits)
    {
        p.Add(Param("session_max_requests", NpgsqlDbType.Bigint, limits?.MaxRequests));
        p.Add(Param("session_max_cost_usd", NpgsqlDbType.Numeric, limits?.MaxCostUsd));
    }

    internal static NpgsqlParameter Text(string name, string? value) => Param(name, NpgsqlDbType.Text, value);

    internal static NpgsqlParameter TextArray(string name, IReadOnlyList<string>? values) =>
        Param(name, NpgsqlDbType.Array | NpgsqlDbType.Text, values?.ToArray());

    internal static NpgsqlParameter Param(string name, NpgsqlDbType type, object? value) =>
        new(name, type) { Value = value ?? DBNull.Value };

    private static long? NullableInt64(NpgsqlDataReader r, int ordinal) => r.IsDBNull(ordinal) ? null : r.GetInt64(ordinal);

    private static decimal? NullableDecimal(NpgsqlDataReader r, int ordinal) => r.IsDBNull(ordinal) ? null : r.GetDecimal(ordinal);

    internal static DateTimeOffset? NullableTime(NpgsqlDataReader r, int ordinal) =>
        r.IsDBNull(ordinal) ? null : r.GetFieldValue<DateTimeOffset>(ordinal);

    private static string? EmptyAsNull(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static KeyStoreException DuplicateTeamName(string name, Exception inner) =>
        new(KeyStoreError.DuplicateTeamName, $"A team named '{name}' already exists.", inner);
}

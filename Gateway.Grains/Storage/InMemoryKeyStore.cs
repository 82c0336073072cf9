using Gateway.Grains.Abstractions;

namespace Gateway.Grains.Storage;

/// <summary>
/// <see cref="IKeyStore"/> in process memory for a local run without Postgres: same rules as
/// <see cref="PostgresKeyStore"/> (unique team names and hashes, effective billing tag, revoke keeps
/// the first time), gone when the process exits. One lock; admin changes are rare and short.
/// </summary>
public sealed partial class InMemoryKeyStore(TimeProvider? timeProvider = null) : IKeyStore, IUserStore
{
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, TeamRecord> _teams = new(StringComparer.Ordinal);
    private readonly Dictionary<string, StoredKey> _keys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _keyIdByHash = new(StringComparer.Ordinal);
    private long _sequence;

    public Task<KeyDescriptor?> FindByHashAsync(string secretHash, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult(_keyIdByHash.TryGetValue(secretHash, out var keyId) ? Record(_keys[keyId]).Key : null);
        }
    }

    public async Task<KeyDescriptor?> FindByIdAsync(string keyId, CancellationToken cancellationToken = default) =>
        (await GetKeyAsync(keyId, cancellationToken))?.Key;

    public Task<TeamRecord> CreateTeamAsync(NewTeam team, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(team);
        lock (_lock)
        {
            ThrowIfNameTaken(team.Name, exceptTeamId: null);
            var record = new TeamRecord(NewId(StoreIds.NewTeamId, _teams), team.Name, EmptyAsNull(team.BillingTag), Now());
            _teams.Add(record.TeamId, record);
            return Task.FromResult(record);
        }
    }

    public Task<IReadOnlyList<TeamRecord>> ListTeamsAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            IReadOnlyList<TeamRecord> teams = _teams.Values
                .OrderBy(t => t.CreatedAt).ThenBy(t => t.TeamId, StringComparer.Ordinal).ToList();
            return Task.FromResult(teams);
        }
    }

    public Task<TeamRecord?> UpdateTeamAsync(string teamId, TeamUpdate update, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        lock (_lock)
        {
            if (!_teams.TryGetValue(teamId, out var team))
            {
                return Task.FromResult<TeamRecord?>(null);
            }
            if (update.Name is not null)
            {
                ThrowIfNameTaken(update.Name, exceptTeamId: teamId);
            }
            team = team with
            {
                Name = update.Name ?? team.Name,
                BillingTag = update.BillingTag is null ? team.BillingTag : EmptyAsNull(update.BillingTag),
            };
            _teams[teamId] = team;
            return Task.FromResult<TeamRecord?>(team);
        }
    }

    public Task<KeyDescriptor> CreateKeyAsync(NewKey key, string secretHash, string secretPrefix, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        CacheTtls.ThrowIfInvalid(key.CacheTtl);
        OpenPaths.ThrowIfInvalid(key.OpenPaths);
        lock (_lock)
        {
            if (!_teams.ContainsKey(key.TeamId))
            {
                throw new KeyStoreException(KeyStoreError.UnknownTeam, $"No team with id '{key.TeamId}'.");
            }
            ThrowIfHashTaken(secretHash);
            var stored = new StoredKey
            {
                KeyId = NewId(StoreIds.NewKeyId, _keys),
                TeamId = key.TeamId,
                Name = key.Name,
                BillingTag = EmptyAsNull(key.BillingTag),
                SecretHash = secretHash,
                SecretPrefix = secretPrefix,
                AllowedModels = [.. key.AllowedModels],
                Limits = key.Limits,
                SessionLimits = Normalise(key.SessionLimits),
                CacheInjection = key.CacheInjection,
                CacheTtl = key.CacheTtl,
                OpenPaths = [.. key.OpenPaths],
                CreatedAt = Now(),
                Sequence = ++_sequence,
            };
            _keys.Add(stored.KeyId, stored);
            _keyIdByHash.Add(secretHash, stored.KeyId);
            return Task.FromResult(Record(stored).Key);
        }
    }

    public Task<IReadOnlyList<KeyRecord>> ListKeysAsync(string? teamId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            IReadOnlyList<KeyRecord> keys = _keys.Values
                .Where(k => teamId is null || k.TeamId == teamId)
                .OrderBy(k => k.Sequence)
                .Select(Record)
                .ToList();
            return Task.FromResult(keys);
        }
    }

    public Task<KeyRecord?> GetKeyAsync(string keyId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult(_keys.TryGetValue(keyId, out var key) ? Record(key) : null);
        }
    }

    public Task<KeyRecord?> UpdateKeyAsync(string keyId, KeyUpdate update, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        CacheTtls.ThrowIfInvalid(update.CacheTtl, emptyClears: true);
        OpenPaths.ThrowIfInvalid(update.OpenPaths);
        lock (_lock)
        {
            if (!_keys.TryGetValue(keyId, out var key))
            {
                return Task.FromResult<KeyRecord?>(null);
            }
            key = key with
            {
                Name = update.Name ?? key.Name,
                BillingTag = update.BillingTag is null ? key.BillingTag : EmptyAsNull(update.BillingTag),
                AllowedModels = update.AllowedModels is null ? key.AllowedModels : [.. update.AllowedModels],
                Limits = update.Limits ?? key.Limits,
                UserLimitsOverridden = key.UserLimitsOverridden || (update.Limits is not null && key.User is not null),
                SessionLimits = update.SessionLimits is null ? key.SessionLimits : Normalise(update.SessionLimits),
                CacheInjection = update.ResetCacheInjection ? null : update.CacheInjection ?? key.CacheInjection,
                CacheTtl = update.CacheTtl is null ? key.CacheTtl : EmptyAsNull(update.CacheTtl),
                OpenPaths = update.OpenPaths is null ? key.OpenPaths : [.. update.OpenPaths],
            };
            _keys[keyId] = key;
            return Task.FromResult<KeyRecord?>(Record(key));
        }
    }

    public Task<string?> RotateKeyAsync(string keyId, string newSecretHash, string newSecretPrefix, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (!_keys.TryGetValue(keyId, out var key))
            {
                return Task.FromResult<string?>(null);
            }
            ThrowIfHashTaken(newSecretHash);
            _keyIdByHash.Remove(key.SecretHash);
            _keyIdByHash.Add(newSecretHash, keyId);
            _keys[keyId] = key with { SecretHash = newSecretHash, SecretPrefix = newSecretPrefix, RotatedAt = Now() };
            return Task.FromResult<string?>(key.SecretHash);
        }
    }

    public Task<string?> RevokeKeyAsync(string keyId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (!_keys.TryGetValue(keyId, out var key))
            {
                return Task.FromResult<string?>(null);
            }
            _keys[keyId] = key with { RevokedAt = key.RevokedAt ?? Now() };
            return Task.FromResult<string?>(key.SecretHash);
        }
    }

    private KeyRecord Record(StoredKey key) => new()
    {
        Key = new KeyDescriptor
        {
            KeyId = key.KeyId,
            TeamId = key.TeamId,
            BillingTag = key.BillingTag ?? _teams[key.TeamId].BillingTag,
            Name = key.Name,
            AllowedModels = key.AllowedModels,
            Limits = key.Limits,
            SessionLimits = key.SessionLimits,
            Revoked = key.RevokedAt is not null,
            CacheInjection = key.CacheInjection,
            CacheTtl = key.CacheTtl,
            OpenPaths = key.OpenPaths,
        },
        SecretPrefix = key.SecretPrefix,
        SecretHash = key.SecretHash,
        CreatedAt = key.CreatedAt,
        RotatedAt = key.RotatedAt,
        RevokedAt = key.RevokedAt,
        Kind = key.User is null ? UserKeys.KeyKind : UserKeys.UserKind,
    };

    private void ThrowIfNameTaken(string name, string? exceptTeamId)
    {
        if (_teams.Values.Any(t => t.Name == name && t.TeamId != exceptTeamId))
        {
            throw new KeyStoreException(KeyStoreError.DuplicateTeamName, $"A team named '{name}' already exists.");
        }
    }

    private void ThrowIfHashTaken(string secretHash)
    {
        if (_keyIdByHash.ContainsKey(secretHash))
        {
            throw new KeyStoreException(KeyStoreError.DuplicateSecret, "Another key already has this secret.");
        }
    }

    private static string NewId<T>(Func<string> next, Dictionary<string, T> taken)
    {
        var id = next();
        while (taken.ContainsKey(id))
        {
            id = next();
        }
        return id;
    }

    // Postgres keeps microseconds; so does this store, so both round-trip the same values.
    private DateTimeOffset Now()
    {
        var now = _time.GetUtcNow();
        return now.AddTicks(-(now.Ticks % 10));
    }

    private static SessionLimits? Normalise(SessionLimits? limits) =>
        limits is { MaxRequests: null, MaxCostUsd: null } ? null : limits;

    private static string? EmptyAsNull(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private sealed record StoredKey
    {
        public required string KeyId { get; init; }
        public required string TeamId { get; init; }
        public required string Name { get; init; }
        public string? BillingTag { get; init; }
        public required string SecretHash { get; init; }
        public required string SecretPrefix { get; init; }
        public required IReadOnlyList<string> AllowedModels { get; init; }
        public required KeyLimits Limits { get; init; }
        public SessionLimits? SessionLimits { get; init; }
        public bool? CacheInjection { get; init; }
        public string? CacheTtl { get; init; }
        public IReadOnlyList<string> OpenPaths { get; init; } = [];
        public DateTimeOffset CreatedAt { get; init; }
        public DateTimeOffset? RotatedAt { get; init; }
        public DateTimeOffset? RevokedAt { get; init; }
        public long Sequence { get; init; }
        /// <summary>Set for a user key (<see cref="IUserStore"/>).</summary>
        public UserSignIn? User { get; init; }
        public bool UserLimitsOverridden { get; init; }
        public DateTimeOffset? UserLastSeenAt { get; init; }
    }
}

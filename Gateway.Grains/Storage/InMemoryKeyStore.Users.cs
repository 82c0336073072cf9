namespace Gateway.Grains.Storage;

/// <summary>User keys in memory: the same rules as <see cref="PostgresUserStore"/>.</summary>
public sealed partial class InMemoryKeyStore
{
    public Task<UserRecord> UpsertUserAsync(UserSignIn signIn, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(signIn);
        var keyId = UserKeys.IdFor(signIn.Issuer, signIn.Subject);
        lock (_lock)
        {
            if (!_teams.ContainsKey(signIn.TeamId))
            {
                throw new KeyStoreException(KeyStoreError.UnknownTeam, $"No team with id '{signIn.TeamId}'.");
            }
            StoredKey stored;
            if (_keys.TryGetValue(keyId, out var existing))
            {
                stored = existing with
                {
                    TeamId = signIn.TeamId,
                    Name = signIn.UserName,
                    Limits = existing.UserLimitsOverridden ? existing.Limits : signIn.Limits,
                    User = signIn,
                    UserLastSeenAt = Now(),
                };
            }
            else
            {
                var hash = UserKeys.NewLookupHash();
                stored = new StoredKey
                {
                    KeyId = keyId,
                    TeamId = signIn.TeamId,
                    Name = signIn.UserName,
                    SecretHash = hash,
                    SecretPrefix = UserKeys.DisplayPrefix,
                    AllowedModels = [],
                    Limits = signIn.Limits,
                    CreatedAt = Now(),
                    Sequence = ++_sequence,
                    User = signIn,
                    UserLastSeenAt = Now(),
                };
                _keyIdByHash.Add(hash, keyId);
            }
            _keys[keyId] = stored;
            return Task.FromResult(UserRecordOf(stored));
        }
    }

    public Task<IReadOnlyList<UserRecord>> ListUsersAsync(string? teamId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            IReadOnlyList<UserRecord> users = _keys.Values
                .Where(k => k.User is not null && (teamId is null || k.TeamId == teamId))
                .OrderBy(k => k.Sequence)
                .Select(UserRecordOf)
                .ToList();
            return Task.FromResult(users);
        }
    }

    private UserRecord UserRecordOf(StoredKey key) => new()
    {
        Key = Record(key),
        Issuer = key.User!.Issuer,
        Subject = key.User.Subject,
        UserName = key.User.UserName,
        LimitsOverridden = key.UserLimitsOverridden,
        LastSeenAt = key.UserLastSeenAt,
    };
}

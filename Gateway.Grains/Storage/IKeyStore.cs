using Gateway.Grains.Abstractions;

namespace Gateway.Grains.Storage;

/// <summary>
/// The system of record for teams and virtual keys (Postgres; in memory for a local run without one).
/// Secrets never reach it: keys are found by the SHA-256 hash of their secret.
/// </summary>
public interface IKeyStore
{
    Task<KeyDescriptor?> FindByHashAsync(string secretHash, CancellationToken cancellationToken = default);

    Task<KeyDescriptor?> FindByIdAsync(string keyId, CancellationToken cancellationToken = default);

    Task<TeamRecord> CreateTeamAsync(NewTeam team, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<TeamRecord>> ListTeamsAsync(CancellationToken cancellationToken = default);

    Task<TeamRecord?> UpdateTeamAsync(string teamId, TeamUpdate update, CancellationToken cancellationToken = default);

    /// <summary>Stores a new key under <paramref name="secretHash"/>; the caller made the secret and shows it once.</summary>
    Task<KeyDescriptor> CreateKeyAsync(NewKey key, string secretHash, string secretPrefix, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<KeyRecord>> ListKeysAsync(string? teamId, CancellationToken cancellationToken = default);

    Task<KeyRecord?> GetKeyAsync(string keyId, CancellationToken cancellationToken = default);

    Task<KeyRecord?> UpdateKeyAsync(string keyId, KeyUpdate update, CancellationToken cancellationToken = default);

    /// <summary>Replaces the secret hash; returns the old hash (to invalidate caches) or null if no such key.</summary>
    Task<string?> RotateKeyAsync(string keyId, string newSecretHash, string newSecretPrefix, CancellationToken cancellationToken = default);

    /// <summary>Marks the key revoked; returns its hash (to invalidate caches) or null if no such key.</summary>
    Task<string?> RevokeKeyAsync(string keyId, CancellationToken cancellationToken = default);
}

[GenerateSerializer, Immutable]
public sealed record NewTeam([property: Id(0)] string Name, [property: Id(1)] string? BillingTag);

/// <summary>A partial update: null members are left as they are; an empty <see cref="BillingTag"/> clears it.</summary>
[GenerateSerializer, Immutable]
public sealed record TeamUpdate([property: Id(0)] string? Name, [property: Id(1)] string? BillingTag);

[GenerateSerializer, Immutable]
public sealed record TeamRecord(
    [property: Id(0)] string TeamId,
    [property: Id(1)] string Name,
    [property: Id(2)] string? BillingTag,
    [property: Id(3)] DateTimeOffset CreatedAt);

[GenerateSerializer, Immutable]
public sealed record NewKey
{
    [Id(0)] public required string TeamId { get; init; }
    [Id(1)] public string Name { get; init; } = "";
    /// <summary>Overrides the team's billing tag for this key.</summary>
    [Id(2)] public string? BillingTag { get; init; }
    [Id(3)] public IReadOnlyList<string> AllowedModels { get; init; } = [];
    [Id(4)] public KeyLimits Limits { get; init; } = KeyLimits.Unlimited;
    [Id(5)] public SessionLimits? SessionLimits { get; init; }
    /// <summary>Prompt-cache injection for this key; null: the gateway's default.</summary>
    [Id(6)] public bool? CacheInjection { get; init; }
    /// <summary><c>5m</c>, <c>1h</c>, or null (the gateway's default); see <see cref="CacheTtls"/>.</summary>
    [Id(7)] public string? CacheTtl { get; init; }
    /// <summary>Unmetered <c>/v1</c> paths opened for this key; see <see cref="Abstractions.OpenPaths"/>.</summary>
    [Id(8)] public IReadOnlyList<string> OpenPaths { get; init; } = [];
}

/// <summary>A partial update: null members are left as they are.</summary>
[GenerateSerializer, Immutable]
public sealed record KeyUpdate
{
    [Id(0)] public string? Name { get; init; }
    /// <summary>The key's own billing tag; empty clears it, so the team's applies again.</summary>
    [Id(1)] public string? BillingTag { get; init; }
    [Id(2)] public IReadOnlyList<string>? AllowedModels { get; init; }
    /// <summary>Replaces every limit (a null member of the new limits means unlimited).</summary>
    [Id(3)] public KeyLimits? Limits { get; init; }
    /// <summary>Replaces the session limits; a value with both members null removes them.</summary>
    [Id(4)] public SessionLimits? SessionLimits { get; init; }
    /// <summary>Turns prompt-cache injection on or off for the key; null leaves it (see <see cref="ResetCacheInjection"/>).</summary>
    [Id(5)] public bool? CacheInjection { get; init; }
    /// <summary>True: the key follows the gateway's default again (its stored switch becomes null); wins over <see cref="CacheInjection"/>.</summary>
    [Id(6)] public bool ResetCacheInjection { get; init; }
    /// <summary><c>5m</c> or <c>1h</c>; empty clears it, so the gateway's default TTL applies again.</summary>
    [Id(7)] public string? CacheTtl { get; init; }
    /// <summary>Replaces the open paths (empty: none); null leaves them.</summary>
    [Id(8)] public IReadOnlyList<string>? OpenPaths { get; init; }
}

/// <summary>The TTLs a key may carry for injected cache breakpoints (the <c>api_keys.cache_ttl</c> check).</summary>
public static class CacheTtls
{
    public const string FiveMinutes = "5m";
    public const string OneHour = "1h";

    public static bool IsValid(string? ttl) => ttl is FiveMinutes or OneHour;

    /// <summary>Throws unless <paramref name="ttl"/> is null, or a valid TTL (or empty when <paramref name="emptyClears"/>).</summary>
    public static void ThrowIfInvalid(string? ttl, bool emptyClears = false)
    {
        if (ttl is null || IsValid(ttl) || (emptyClears && ttl.Length == 0))
        {
            return;
        }
        throw new ArgumentException($"Cache TTL must be '{FiveMinutes}' or '{OneHour}', got '{ttl}'.", nameof(ttl));
    }
}

/// <summary>A key as an administrator sees it: no secret, only its first characters to recognise it.</summary>
[GenerateSerializer, Immutable]
public sealed record KeyRecord
{
    [Id(0)] public required KeyDescriptor Key { get; init; }
    [Id(1)] public required string SecretPrefix { get; init; }
    [Id(2)] public DateTimeOffset CreatedAt { get; init; }
    [Id(3)] public DateTimeOffset? RevokedAt { get; init; }
    [Id(4)] public DateTimeOffset? RotatedAt { get; init; }

    /// <summary>
    /// The current lookup hash (not the secret): what a caller needs to invalidate the cluster's
    /// cache of this key after a change. Never shown by the admin API.
    /// </summary>
    [Id(5)] public string SecretHash { get; init; } = "";

    /// <summary><c>key</c> (made by an administrator) or <c>user</c> (a person signed in; see <see cref="IUserStore"/>).</summary>
    [Id(6)] public string Kind { get; init; } = UserKeys.KeyKind;
}

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
}

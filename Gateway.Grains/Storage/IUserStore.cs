using Gateway.Grains.Abstractions;

namespace Gateway.Grains.Storage;

/// <summary>
/// People signed in through an identity provider, kept as virtual keys of kind <c>user</c> (the same
/// rows as <see cref="IKeyStore"/>'s keys, so everything that meters a key meters a person).
/// </summary>
public interface IUserStore
{
    /// <summary>
    /// Creates the person's key on first sign-in, else refreshes its name, team and last-seen time; the
    /// limits become <see cref="UserSignIn.Limits"/> unless an administrator has set this user's limits.
    /// A revoked user stays revoked (the answer says so).
    /// </summary>
    /// <exception cref="KeyStoreException">The team does not exist.</exception>
    Task<UserRecord> UpsertUserAsync(UserSignIn signIn, CancellationToken cancellationToken = default);

    /// <summary>Every user key (of one team when <paramref name="teamId"/> is set), oldest first.</summary>
    Task<IReadOnlyList<UserRecord>> ListUsersAsync(string? teamId, CancellationToken cancellationToken = default);
}

/// <summary>Who signed in, where the group mapping put them, and the team's per-user limits.</summary>
public sealed record UserSignIn
{
    /// <summary>The configured issuer's name (stable across authority URL changes is not promised: it is the configured name).</summary>
    public required string Issuer { get; init; }
    public required string Subject { get; init; }
    /// <summary>The user claim (e-mail by default): the key's name, shown to administrators.</summary>
    public required string UserName { get; init; }
    public required string TeamId { get; init; }
    public KeyLimits Limits { get; init; } = KeyLimits.Unlimited;
}

/// <summary>A user key as an administrator sees it.</summary>
[GenerateSerializer, Immutable]
public sealed record UserRecord
{
    [Id(0)] public required KeyRecord Key { get; init; }
    [Id(1)] public required string Issuer { get; init; }
    [Id(2)] public required string Subject { get; init; }
    [Id(3)] public required string UserName { get; init; }
    /// <summary>True once an administrator set this user's limits: sign-ins no longer apply the team's policy.</summary>
    [Id(4)] public bool LimitsOverridden { get; init; }
    [Id(5)] public DateTimeOffset? LastSeenAt { get; init; }
}

using Gateway.Grains.Storage;

namespace Gateway.Front.SelfService;

/// <summary>
/// What <c>GET /gateway/usage</c> tells the caller about its own key (or, signed in, its own user): who it is, its
/// limits, what is left in each per-minute bucket now (null: unlimited; a bucket refills at its limit per minute),
/// its spend today and this month, what is left of each budget (null: no such budget) and when day and month
/// start again (UTC). Nothing about any other key or team.
/// </summary>
internal sealed record SelfUsageResponse : KeyStandingFigures
{
    private SelfUsageResponse(KeyStanding standing) : base(standing)
    {
        var key = standing.Key;
        Id = key.KeyId;
        Kind = UserKeys.IsUserKeyId(key.KeyId) ? UserKeys.UserKind : UserKeys.KeyKind;
        Name = key.Name;
        TeamId = key.TeamId;
        BillingTag = key.BillingTag;
        AsOf = standing.ReadAt;
    }

    public string Type { get; } = "gateway_usage";
    public string Id { get; init; }

    /// <summary><c>key</c> for a virtual key, <c>user</c> for a signed-in person (ids <c>usr_…</c>).</summary>
    public string Kind { get; init; }

    public string Name { get; init; }
    public string TeamId { get; init; }
    public string? BillingTag { get; init; }

    /// <summary>When the key's grain was read (at most <see cref="SelfServiceOptions.CacheTime"/> ago).</summary>
    public DateTimeOffset AsOf { get; init; }

    public static SelfUsageResponse From(KeyStanding standing) => new(standing);
}

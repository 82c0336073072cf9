using Gateway.Front.SelfService;
using Gateway.Grains.Storage;

namespace Gateway.Front.Admin;

/// <summary>A team as the admin API shows it.</summary>
internal sealed record TeamResponse(string Type, string Id, string Name, string? BillingTag, DateTimeOffset CreatedAt)
{
    public static TeamResponse From(TeamRecord team) => new("team", team.TeamId, team.Name, team.BillingTag, team.CreatedAt);
}

/// <summary>
/// A key as the admin API shows it: never its hash; its secret only in the answer that created it
/// (create, rotate), and never again.
/// </summary>
internal sealed record KeyResponse
{
    public string Type => "api_key";
    public required string Id { get; init; }
    public required string TeamId { get; init; }
    public required string Name { get; init; }

    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? Secret { get; init; }

    public required string SecretPrefix { get; init; }

    /// <summary><c>active</c> or <c>revoked</c>.</summary>
    public required string Status { get; init; }

    /// <summary>The tag the key's usage is billed under: its own, else its team's.</summary>
    public string? BillingTag { get; init; }

    public required IReadOnlyList<string> AllowedModels { get; init; }
    public required LimitsResponse Limits { get; init; }
    public SessionLimitsResponse? SessionLimits { get; init; }

    /// <summary>Server-side prompt-cache injection: true/false set for this key, null follows the gateway's default.</summary>
    public bool? CacheInjection { get; init; }

    /// <summary><c>5m</c> or <c>1h</c> for the breakpoints added for this key; null follows the gateway's default.</summary>
    public string? CacheTtl { get; init; }

    /// <summary>Knowingly unmetered <c>/v1</c> paths opened for this key (forwarded with an audit row, never metered).</summary>
    public IReadOnlyList<string> OpenPaths { get; init; } = [];

    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? RotatedAt { get; init; }
    public DateTimeOffset? RevokedAt { get; init; }

    public static KeyResponse From(KeyRecord record, string? secret = null)
    {
        var key = record.Key;
        return new KeyResponse
        {
            Id = key.KeyId,
            TeamId = key.TeamId,
            Name = key.Name,
            Secret = secret,
            SecretPrefix = record.SecretPrefix,
            Status = key.Revoked ? "revoked" : "active",
            BillingTag = key.BillingTag,
            AllowedModels = key.AllowedModels,
            Limits = LimitsResponse.From(key.Limits),
            SessionLimits = key.SessionLimits is { } session ? new SessionLimitsResponse(session.MaxRequests, session.MaxCostUsd) : null,
            CacheInjection = key.CacheInjection,
            CacheTtl = key.CacheTtl,
            OpenPaths = key.OpenPaths,
            CreatedAt = record.CreatedAt,
            RotatedAt = record.RotatedAt,
            RevokedAt = record.RevokedAt,
        };
    }
}

internal sealed record SessionLimitsResponse(long? MaxRequests, decimal? MaxCostUsd);

/// <summary>A list in the shape of Anthropic's list endpoints; everything fits one page for now.</summary>
internal sealed record ListResponse<T>(IReadOnlyList<T> Data)
{
    public bool HasMore => false;
}

/// <summary>
/// A key's live standing as its grain holds it, for an administrator: the figures (<see cref="KeyStandingFigures"/>)
/// and the key's id.
/// </summary>
internal sealed record KeyUsageResponse : KeyStandingFigures
{
    private KeyUsageResponse(KeyStanding standing) : base(standing) => Id = standing.Key.KeyId;

    public string Type => "api_key_usage";
    public string Id { get; init; }

    public static KeyUsageResponse From(KeyStanding standing) => new(standing);
}

namespace Gateway.Front.Identity;

/// <summary>
/// Section <c>Identity</c>: people sign in with the company's OpenID Connect provider(s) and get
/// short-lived gateway tokens. No issuer configured: the feature is off and nothing changes.
/// </summary>
public sealed class IdentityOptions
{
    public const string Section = "Identity";

    public IdentityIssuerOptions[] Issuers { get; set; } = [];

    /// <summary>Lifetime of a gateway access token (what Claude Code's apiKeyHelper prints).</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Lifetime of a gateway refresh token; each use re-checks the user (revoked, and groups when the provider refreshes).</summary>
    public TimeSpan RefreshLifetime { get; set; } = TimeSpan.FromDays(14);

    /// <summary>
    /// Secret from which the keys that sign (and encrypt, for refresh tokens) the gateway's own tokens are
    /// derived; the same on every front. Required (32 characters or more) when any issuer is set.
    /// </summary>
    public string? SigningKey { get; set; }

    /// <summary>Most validated tokens a front remembers (until each expires); past it the oldest are dropped.</summary>
    public int TokenCacheSize { get; set; } = 100_000;

    /// <summary>Most calls to identity providers one front makes at once for the /auth endpoints; more get a 429.</summary>
    public int MaxConcurrentProviderCalls { get; set; } = 32;

    public bool Enabled => Issuers.Length > 0;
}

namespace Gateway.Front.Auth;

public enum AuthMode
{
    /// <summary>Clients present the gateway's virtual keys; limits, budgets and audit apply.</summary>
    VirtualKeys,

    /// <summary>No gateway keys: the client's credential is forwarded (or replaced by Upstream:ApiKeys). No limits.</summary>
    PassThrough,
}

/// <summary>Section <c>Auth</c>.</summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    public AuthMode Mode { get; set; } = AuthMode.VirtualKeys;

    /// <summary>How long a front trusts a resolved key before asking again: the bound on revocation.</summary>
    public TimeSpan CacheTime { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// For local runs with the in-memory key store only: a key with this secret is created at start
    /// so <c>curl</c> and <c>claude</c> work at once. Ignored when Postgres is configured. Set only in
    /// <c>appsettings.Development.json</c>: a deployment without Postgres must not accept a well-known key.
    /// </summary>
    public string? LocalDevSecret { get; set; }
}

namespace Gateway.Front.Identity;

/// <summary>One OpenID Connect provider people sign in with (<c>Identity:Issuers:N</c>).</summary>
public sealed class IdentityIssuerOptions
{
    /// <summary>Short name (letters, digits, <c>-</c>, <c>_</c>): the helper's <c>issuer</c> parameter and part of each user's key id.</summary>
    public string Name { get; set; } = "";

    /// <summary>The issuer URL; discovery is read from <c>{Authority}/.well-known/openid-configuration</c>.</summary>
    public string Authority { get; set; } = "";

    public string ClientId { get; set; } = "";

    /// <summary>For a confidential client; a public client (device flow allows it) leaves it empty.</summary>
    public string? ClientSecret { get; set; }

    /// <summary>Scopes asked for; <c>offline_access</c> lets a refresh re-read the person's groups.</summary>
    public string Scopes { get; set; } = "openid email profile offline_access";

    /// <summary>The id_token claim naming the person (the key's name); <c>sub</c> when absent from a token.</summary>
    public string UserClaim { get; set; } = "email";

    /// <summary>The id_token claim holding the person's groups (an array or a single string).</summary>
    public string GroupsClaim { get; set; } = "groups";

    /// <summary>
    /// Group → team (a team's name or id). A person in several mapped groups joins the team of the first
    /// such group in ordinal order of group names; a person in none is refused.
    /// </summary>
    public Dictionary<string, string> Teams { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Groups whose members are administrators (carried in the gateway token as <c>gw_admin</c>, for the console).</summary>
    public string[] AdminGroups { get; set; } = [];

    /// <summary>
    /// Group → team (name or id) whose lead the members are in the web console: they see and manage that team only.
    /// An admin group wins over a lead group; several lead groups: the first in ordinal order of group names.
    /// </summary>
    public Dictionary<string, string> LeadGroups { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Each person's own limits (requests and tokens per minute, USD per day and month), unless a team below or an administrator says otherwise.</summary>
    public UserLimitOptions UserLimits { get; set; } = new();

    /// <summary>Per-user limits for the members of one team (team name or id, as in <see cref="Teams"/>), replacing <see cref="UserLimits"/>.</summary>
    public Dictionary<string, UserLimitOptions> TeamUserLimits { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Discovery and JWKS only over HTTPS; switch off for a provider on loopback in tests.</summary>
    public bool RequireHttps { get; set; } = true;
}

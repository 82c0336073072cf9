using Gateway.Front.Admin;
using Gateway.Front.Identity;
using Microsoft.Extensions.Options;

namespace Gateway.Front.Console;

/// <summary>
/// The console's session cookie: a gateway-signed token (<see cref="GatewayTokens.ConsoleType"/>: role, team, subject,
/// expiry) set by the OIDC sign-in, read by the admin API's auth filter through <see cref="IAdminSessions"/>.
/// HttpOnly (no script reads it), SameSite=Strict (no other site's request carries it), Secure on https.
/// Without an identity provider there are no sessions (the admin token only).
/// </summary>
public sealed class ConsoleSessions(IServiceProvider services, IOptions<ConsoleOptions> options) : IAdminSessions
{
    public const string CookieName = "gateway_console";
    public const string RoleClaim = "gw_role";
    public const string TeamClaim = "gw_team";
    public const string AdminRole = "admin";
    public const string LeadRole = "lead";

    /// <summary>A session token is a few hundred bytes; anything far larger is not ours and is not parsed.</summary>
    private const int MaxCookieLength = 4096;

    private readonly GatewayTokens? _tokens = services.GetService<GatewayTokens>();

    public bool Enabled => _tokens is not null && options.Value.Enabled;

    public TimeSpan Lifetime => options.Value.SessionLifetime;

    public bool Present(HttpRequest request) => request.Cookies.ContainsKey(CookieName);

    public async Task<CallerScope?> ReadAsync(HttpRequest request)
    {
        if (_tokens is null || !request.Cookies.TryGetValue(CookieName, out var token) || string.IsNullOrEmpty(token)
            || token.Length > MaxCookieLength)
        {
            return null;
        }
        var result = await _tokens.ValidateConsoleAsync(GatewayTokens.ConsoleType, token);
        if (!result.IsValid)
        {
            return null;
        }
        var subject = result.Claims.TryGetValue("sub", out var s) ? s as string : null;
        var role = result.Claims.TryGetValue(RoleClaim, out var r) ? r as string : null;
        var team = result.Claims.TryGetValue(TeamClaim, out var t) ? t as string : null;
        if (string.IsNullOrEmpty(subject))
        {
            return null;
        }
        return role switch
        {
            AdminRole => CallerScope.Administrator(subject),
            LeadRole when !string.IsNullOrEmpty(team) => CallerScope.Lead(team, subject),
            _ => null,
        };
    }

    /// <summary>A new session token for a person the sign-in found to be an administrator (team null) or a team's lead.</summary>
    public string Create(string subject, string name, string role, string? teamId)
    {
        var claims = new Dictionary<string, object> { ["sub"] = subject, ["name"] = name, [RoleClaim] = role };
        if (teamId is not null)
        {
            claims[TeamClaim] = teamId;
        }
        return (_tokens ?? throw new InvalidOperationException("Console sessions need an identity provider.")).CreateConsole(
            GatewayTokens.ConsoleType, claims, Lifetime);
    }

    public static CookieOptions CookieOptions(HttpRequest request, TimeSpan? lifetime) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Strict,
        Secure = request.IsHttps,
        // The admin API reads it too, so the whole origin; nothing but /admin and /console ever looks at it.
        Path = "/",
        MaxAge = lifetime,
        IsEssential = true,
    };
}

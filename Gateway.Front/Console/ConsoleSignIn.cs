using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Gateway.Front.Admin;
using Gateway.Front.Identity;
using Gateway.Grains.Storage;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Gateway.Front.Console;

/// <summary>
/// The console's sign-in through the same OIDC providers as people's gateway tokens, with the authorization-code
/// flow and PKCE: <c>GET /console/signin/{issuer}</c> redirects to the provider, which sends the browser back to
/// <c>GET /console/callback</c>. State, nonce and the PKCE verifier travel in a short-lived cookie encrypted to the
/// gateway (any front can finish the sign-in another started). The provider's id_token is checked by
/// <see cref="IdTokenValidator"/>; an admin group makes an administrator, a lead group a team's lead, neither is
/// refused (403, nothing stored). Hand-written on the Identity pieces rather than ASP.NET's OpenIdConnect handler:
/// that handler wants the cookie-authentication stack and Data Protection keys shared by every front, and the
/// gateway already signs its own tokens with one shared secret.
/// </summary>
internal static partial class ConsoleSignIn
{
    public const string FlowCookie = "gateway_console_flow";
    public const string CallbackPath = ConsoleEndpoints.Path + "/callback";
    private static readonly TimeSpan FlowLifetime = TimeSpan.FromMinutes(10);

    /// <summary><c>GET /console/auth</c>: which sign-in methods exist, and who is signed in (by session cookie) if anyone.</summary>
    public static async Task MethodsAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var sessions = services.GetRequiredService<ConsoleSessions>();
        var issuers = sessions.Enabled ? services.GetService<OidcIssuers>()?.All ?? [] : [];
        var adminToken = !string.IsNullOrEmpty(services.GetRequiredService<IOptionsMonitor<AdminOptions>>().CurrentValue.Token);
        var session = sessions.Enabled ? await sessions.ReadAsync(context.Request) : null;

        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        await using var writer = new Utf8JsonWriter(context.Response.BodyWriter);
        writer.WriteStartObject();
        writer.WriteStartArray("methods");
        if (adminToken)
        {
            writer.WriteStringValue("admin-token");
        }
        if (issuers.Count > 0)
        {
            writer.WriteStringValue("oidc");
        }
        writer.WriteEndArray();
        writer.WriteStartArray("issuers");
        foreach (var issuer in issuers)
        {
            writer.WriteStringValue(issuer.Name);
        }
        writer.WriteEndArray();
        if (session is null)
        {
            writer.WriteNull("session");
        }
        else
        {
            writer.WriteStartObject("session");
            writer.WriteString("role", session.Role);
            writer.WriteString("team_id", session.TeamId);
            writer.WriteString("subject", session.Subject);
            writer.WriteEndObject();
        }
        writer.WriteEndObject();
        await writer.FlushAsync(context.RequestAborted);
    }

    /// <summary><c>GET /console/signin/{issuer}</c>: to the provider's authorization endpoint, with state, nonce and a PKCE challenge.</summary>
    public static async Task StartAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var sessions = services.GetRequiredService<ConsoleSessions>();
        var name = context.Request.Path.Value?.Trim('/') ?? "";
        if (!sessions.Enabled || services.GetService<OidcIssuers>() is not { } issuers || name.Length == 0 || name.Length > 64
            || issuers.Find(name) is not { } issuer)
        {
            await Page(context, StatusCodes.Status404NotFound, "No such identity provider", "This gateway has no identity provider by that name.");
            return;
        }
        var configuration = await issuer.Configuration.GetConfigurationAsync(context.RequestAborted);
        var state = Random();
        var nonce = Random();
        var verifier = Random();
        var challenge = Base64UrlEncoder.Encode(SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(verifier)));
        var flow = services.GetRequiredService<GatewayTokens>().CreateConsole(GatewayTokens.ConsoleFlowType, new Dictionary<string, object>
        {
            ["state"] = state,
            ["nonce"] = nonce,
            ["cv"] = verifier,
            [GatewayTokens.IssuerNameClaim] = issuer.Name,
        }, FlowLifetime);
        context.Response.Cookies.Append(FlowCookie, flow, new CookieOptions
        {
            HttpOnly = true,
            // Lax, not Strict: it must come back on the provider's top-level redirect to the callback.
            SameSite = SameSiteMode.Lax,
            Secure = context.Request.IsHttps,
            Path = CallbackPath,
            MaxAge = FlowLifetime,
            IsEssential = true,
        });
        var query = new Dictionary<string, string?>
        {
            ["response_type"] = "code",
            ["client_id"] = issuer.Options.ClientId,
            ["redirect_uri"] = RedirectUri(context.Request),
            // No offline_access: the console keeps no provider token, only its own session.
            ["scope"] = string.Join(' ', issuer.Options.Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(s => s != "offline_access")),
            ["state"] = state,
            ["nonce"] = nonce,
            ["code_challenge"] = challenge,
            ["code_challenge_method"] = "S256",
        };
        context.Response.Redirect(QueryHelpers.AddQueryString(configuration.AuthorizationEndpoint, query));
    }

    /// <summary><c>GET /console/callback</c>: check state, exchange the code (with the PKCE verifier), check the id_token and nonce, set the session.</summary>
    public static async Task CallbackAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var sessions = services.GetRequiredService<ConsoleSessions>();
        var request = context.Request;
        var flowToken = request.Cookies[FlowCookie];
        context.Response.Cookies.Delete(FlowCookie, new CookieOptions { Path = CallbackPath, Secure = request.IsHttps, HttpOnly = true });
        if (!sessions.Enabled || string.IsNullOrEmpty(flowToken) || flowToken.Length > 4096)
        {
            await Page(context, StatusCodes.Status400BadRequest, "Sign-in expired", "This sign-in was not started here or took too long; start again.");
            return;
        }
        var tokens = services.GetRequiredService<GatewayTokens>();
        var flow = await tokens.ValidateConsoleAsync(GatewayTokens.ConsoleFlowType, flowToken);
        if (!flow.IsValid || Claim(flow.Claims, "state") is not { } state || Claim(flow.Claims, "nonce") is not { } nonce
            || Claim(flow.Claims, "cv") is not { } verifier || Claim(flow.Claims, GatewayTokens.IssuerNameClaim) is not { } issuerName
            || services.GetRequiredService<OidcIssuers>().Find(issuerName) is not { } issuer)
        {
            await Page(context, StatusCodes.Status400BadRequest, "Sign-in expired", "This sign-in was not started here or took too long; start again.");
            return;
        }
        var returnedState = request.Query["state"].ToString();
        if (!CryptographicOperations.FixedTimeEquals(System.Text.Encoding.UTF8.GetBytes(returnedState), System.Text.Encoding.UTF8.GetBytes(state)))
        {
            await Page(context, StatusCodes.Status400BadRequest, "Sign-in refused", "The identity provider's answer does not belong to this sign-in.");
            return;
        }
        if (request.Query["error"].ToString() is { Length: > 0 } error)
        {
            await Page(context, StatusCodes.Status403Forbidden, "Sign-in refused", $"The identity provider said: {Cut(error)} {Cut(request.Query["error_description"].ToString())}");
            return;
        }
        var code = request.Query["code"].ToString();
        if (code.Length is 0 or > 2048)
        {
            await Page(context, StatusCodes.Status400BadRequest, "Sign-in refused", "The identity provider's answer carries no code.");
            return;
        }

        var answer = await services.GetRequiredService<IdentityProviderClient>().ExchangeCodeAsync(issuer, code, RedirectUri(request), verifier,
            context.RequestAborted);
        if (answer.IdToken is null)
        {
            await Page(context, StatusCodes.Status502BadGateway, "Sign-in failed",
                $"The identity provider did not give an id_token: {Cut(answer.Error ?? "")} {Cut(answer.ErrorDescription ?? "")}");
            return;
        }
        var (identity, problem) = await services.GetRequiredService<IdTokenValidator>().ValidateAsync(issuer, answer.IdToken, context.RequestAborted, nonce);
        if (identity is null)
        {
            await Page(context, StatusCodes.Status401Unauthorized, "Sign-in refused", problem!);
            return;
        }

        string role;
        string? teamId = null;
        if (GroupTeamMapping.IsAdmin(issuer.Options, identity.Groups))
        {
            role = ConsoleSessions.AdminRole;
        }
        else if (GroupTeamMapping.LeadTeamFor(issuer.Options, identity.Groups) is { } teamRef)
        {
            var teams = await services.GetRequiredService<IKeyStore>().ListTeamsAsync(context.RequestAborted);
            teamId = (teams.FirstOrDefault(t => t.TeamId == teamRef) ?? teams.FirstOrDefault(t => t.Name == teamRef))?.TeamId;
            if (teamId is null)
            {
                await Page(context, StatusCodes.Status403Forbidden, "No such team",
                    $"Your lead group maps to team '{Cut(teamRef)}', which does not exist; ask an administrator to create it.");
                return;
            }
            role = ConsoleSessions.LeadRole;
        }
        else
        {
            await Page(context, StatusCodes.Status403Forbidden, "Not allowed",
                $"{identity.UserName} is in no administrator or team-lead group, so the console is not open to you.");
            return;
        }

        var session = sessions.Create($"{issuer.Name}:{identity.Subject}", identity.UserName, role, teamId);
        context.Response.Cookies.Append(ConsoleSessions.CookieName, session, ConsoleSessions.CookieOptions(request, sessions.Lifetime));
        context.Response.Redirect(ConsoleEndpoints.Path + "/");
    }

    /// <summary>
    /// Sign-in steps that talk to the provider: through the identity endpoints' <see cref="ProviderCallGate"/> (anyone
    /// may call these, none may turn the gateway into a way to flood the provider), and a provider that cannot be
    /// reached answers a 502 page, not an exception.
    /// </summary>
    public static async Task GuardedAsync(HttpContext context, RequestDelegate step)
    {
        if (context.RequestServices.GetService<ProviderCallGate>() is not { } gate)
        {
            await Page(context, StatusCodes.Status404NotFound, "No identity provider", "This gateway has no identity provider configured.");
            return;
        }
        using var slot = gate.TryEnter();
        if (slot is null)
        {
            await Page(context, StatusCodes.Status429TooManyRequests, "Busy", "Too many sign-ins at once; try again in a moment.");
            return;
        }
        try
        {
            await step(context);
        }
        catch (Exception e) when (!context.Response.HasStarted
            && e is HttpRequestException or TaskCanceledException or InvalidOperationException or IOException)
        {
            ProviderUnreachable(context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ConsoleSignIn).FullName!), e);
            context.Response.Headers.Remove("Set-Cookie");
            await Page(context, StatusCodes.Status502BadGateway, "Sign-in failed", "The identity provider could not be reached; try again shortly.");
        }
    }

    /// <summary><c>POST /console/signout</c> (with the console's CSRF header): the session cookie is cleared.</summary>
    public static Task SignOutAsync(HttpContext context)
    {
        if (!HttpMethods.IsPost(context.Request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return Task.CompletedTask;
        }
        if (!context.Request.Headers.ContainsKey(AdminAuthFilter.CsrfHeader))
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            return Task.CompletedTask;
        }
        context.Response.Cookies.Delete(ConsoleSessions.CookieName, ConsoleSessions.CookieOptions(context.Request, null));
        context.Response.StatusCode = StatusCodes.Status204NoContent;
        return Task.CompletedTask;
    }

    private static string RedirectUri(HttpRequest request) => $"{request.Scheme}://{request.Host}{CallbackPath}";

    private static string Random() => Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));

    private static string? Claim(IDictionary<string, object> claims, string name) =>
        claims.TryGetValue(name, out var value) && value is string { Length: > 0 } text ? text : null;

    private static string Cut(string text) => text.Length <= 200 ? text : text[..200] + "…";

    /// <summary>A plain page for a refused or failed sign-in (the console's CSP allows no inline style or script, and needs none).</summary>
    private static Task Page(HttpContext context, int status, string title, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/html; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.WriteAsync(
            $"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{WebUtility.HtmlEncode(title)}</title>" +
            "<link rel=\"stylesheet\" href=\"/console/css/console.css\"></head><body><main>" +
            $"<h1>{WebUtility.HtmlEncode(title)}</h1><p role=\"alert\">{WebUtility.HtmlEncode(message)}</p>" +
            "<p><a href=\"/console/\">Back to the console</a></p></main></body></html>", context.RequestAborted);
    }

    [LoggerMessage(1, LogLevel.Warning, "Console sign-in: the identity provider could not be reached")]
    private static partial void ProviderUnreachable(ILogger logger, Exception exception);
}

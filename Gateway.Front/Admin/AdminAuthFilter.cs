using System.Security.Cryptography;
using System.Text;
using Gateway.Grains.Storage;
using Microsoft.Extensions.Options;

namespace Gateway.Front.Admin;

/// <summary>
/// Every <c>/admin</c> request must carry the admin token (<c>Authorization: Bearer …</c> or
/// <c>x-admin-token</c>). Compared in constant time over SHA-256 digests, so neither content nor
/// length leaks through timing. No token configured: the admin API does not exist (404).
/// A virtual key is never an admin credential.
/// Besides the token, a console session cookie (<see cref="IAdminSessions"/>, OIDC sign-in) is accepted: an
/// administrator's reaches everything, a team lead's only endpoints marked <see cref="LeadAccess"/>; a state-changing
/// call with a session must carry <see cref="CsrfHeader"/> (the cookie is SameSite=Strict too). The caller's
/// <see cref="CallerScope"/> is attached to the request for the handlers.
/// </summary>
internal sealed class AdminAuthFilter(IOptionsMonitor<AdminOptions> options, ILogger<AdminAuthFilter> logger,
    IEnumerable<IAdminSessions> sessionSources) : IEndpointFilter
{
    public const string TokenHeader = "x-admin-token";

    /// <summary>
    /// Required on POST/PATCH/DELETE with a session cookie: a cross-site form cannot set a custom header, and a
    /// cross-site fetch that sets one needs a CORS preflight this gateway never grants.
    /// </summary>
    public const string CsrfHeader = "x-gateway-console";

    private readonly IAdminSessions? _sessions = sessionSources.FirstOrDefault(s => s.Enabled);

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var expected = options.CurrentValue.Token;
        if (string.IsNullOrEmpty(expected) && _sessions is null)
        {
            return AdminResults.NotFound($"No such endpoint: {http.Request.Method} {http.Request.Path}");
        }

        var presented = Credential(http.Request);
        if (presented is null && _sessions is not null && _sessions.Present(http.Request))
        {
            return await WithSessionAsync(context, next);
        }
        string? problem = null;
        if (presented is null)
        {
            problem = $"The admin API needs the admin token: 'Authorization: Bearer <token>' or '{TokenHeader}: <token>'"
                + (_sessions is null ? "." : ", or a console session (sign in at /console).");
        }
        else if (string.IsNullOrEmpty(expected))
        {
            problem = "No admin token is configured on this gateway; sign in to the console through the identity provider.";
        }
        else if (KeySecrets.LooksLikeVirtualKey(presented))
        {
            problem = "A virtual API key cannot be used for the admin API; present the admin token.";
        }
        else if (!Matches(presented, expected))
        {
            problem = "Invalid admin token.";
        }
        if (problem is not null)
        {
            AdminLog.Rejected(logger, http.Connection.RemoteIpAddress?.ToString(), problem);
            return AdminResults.Unauthorized(problem);
        }
        CallerScope.AdminToken.Attach(http);
        return await next(context);
    }

    private async ValueTask<object?> WithSessionAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (await _sessions!.ReadAsync(http.Request) is not { } scope)
        {
            AdminLog.Rejected(logger, http.Connection.RemoteIpAddress?.ToString(), "expired or invalid console session");
            return AdminResults.Unauthorized("The console session has expired or is not valid; sign in again.");
        }
        if (!HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method)
            && !http.Request.Headers.ContainsKey(CsrfHeader))
        {
            return AdminResults.Forbidden($"A change made with a console session needs the '{CsrfHeader}' header (cross-site request guard).");
        }
        if (!scope.IsAdmin && http.GetEndpoint()?.Metadata.GetMetadata<LeadAccess>() is null)
        {
            return AdminResults.Forbidden($"A team lead cannot use {http.Request.Method} {http.Request.Path}; it is for administrators.");
        }
        scope.Attach(http);
        return await next(context);
    }

    private static string? Credential(HttpRequest request)
    {
        var header = request.Headers[TokenHeader];
        if (header.Count > 0 && !string.IsNullOrEmpty(header[0]))
        {
            return header[0]!.Trim();
        }
        var authorization = request.Headers.Authorization;
        if (authorization.Count > 0 && authorization[0] is { } value
            && value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && value.Length > "Bearer ".Length)
        {
            return value["Bearer ".Length..].Trim();
        }
        return null;
    }

    private static bool Matches(string presented, string expected)
    {
        Span<byte> a = stackalloc byte[SHA256.HashSizeInBytes];
        Span<byte> b = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(presented), a);
        SHA256.HashData(Encoding.UTF8.GetBytes(expected), b);
        return CryptographicOperations.FixedTimeEquals(a, b);
    }
}

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
/// </summary>
internal sealed class AdminAuthFilter(IOptionsMonitor<AdminOptions> options, ILogger<AdminAuthFilter> logger) : IEndpointFilter
{
    public const string TokenHeader = "x-admin-token";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var expected = options.CurrentValue.Token;
        if (string.IsNullOrEmpty(expected))
        {
            return AdminResults.NotFound($"No such endpoint: {http.Request.Method} {http.Request.Path}");
        }

        var presented = Credential(http.Request);
        string? problem = null;
        if (presented is null)
        {
            problem = $"The admin API needs the admin token: 'Authorization: Bearer <token>' or '{TokenHeader}: <token>'.";
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

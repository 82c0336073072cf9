using Microsoft.Extensions.Primitives;

namespace Gateway.Front.Auth;

/// <summary>
/// The client's key: <c>x-api-key</c>, or <c>Authorization: Bearer</c> (Claude Code with
/// ANTHROPIC_AUTH_TOKEN; with an apiKeyHelper it sends both, the same value).
/// </summary>
public static class ClientCredential
{
    public static bool TryGet(HttpRequest request, out string secret)
    {
        if (request.Headers.TryGetValue("x-api-key", out var apiKey) && !StringValues.IsNullOrEmpty(apiKey))
        {
            secret = apiKey[0]!.Trim();
            return secret.Length > 0;
        }
        var authorization = request.Headers.Authorization;
        if (authorization.Count > 0 && authorization[0] is { } value
            && value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            secret = value[7..].Trim();
            return secret.Length > 0;
        }
        secret = "";
        return false;
    }
}

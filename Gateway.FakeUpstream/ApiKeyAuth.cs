namespace Gateway.FakeUpstream;

/// <summary>
/// Finds the caller's key the way Anthropic accepts it: <c>x-api-key</c>, or <c>Authorization: Bearer</c>
/// (Claude Code with ANTHROPIC_AUTH_TOKEN). With an apiKeyHelper both are sent, so either may match.
/// </summary>
internal static class ApiKeyAuth
{
    /// <summary>The key to bill and rate-limit, or null when the request carries none.</summary>
    public static string? Presented(HttpRequest request)
    {
        var apiKey = ApiKey(request);
        return !string.IsNullOrEmpty(apiKey) ? apiKey : Bearer(request);
    }

    /// <summary>Checks the request against <paramref name="allowed"/>; returns the accepted key or an error message.</summary>
    public static bool TryAuthenticate(HttpRequest request, string[] allowed, out string key, out string error)
    {
        var apiKey = ApiKey(request);
        var bearer = Bearer(request);
        key = "";
        if (string.IsNullOrEmpty(apiKey) && string.IsNullOrEmpty(bearer))
        {
            error = "x-api-key header is required";
            return false;
        }

        if (allowed.Length == 0)
        {
            key = !string.IsNullOrEmpty(apiKey) ? apiKey : bearer!;
            error = "";
            return true;
        }

        foreach (var candidate in allowed)
        {
            if (candidate == apiKey || candidate == bearer)
            {
                key = candidate;
                error = "";
                return true;
            }
        }

        error = "invalid x-api-key";
        return false;
    }

    /// <summary><c>x-api-key</c>, or Microsoft Foundry's <c>api-key</c> (Foundry's Claude endpoint takes either).</summary>
    private static string? ApiKey(HttpRequest request)
    {
        var apiKey = (string?)request.Headers[FakeUpstreamHeaders.ApiKey];
        return !string.IsNullOrEmpty(apiKey) ? apiKey : (string?)request.Headers[FakeUpstreamHeaders.AzureApiKey];
    }

    private static string? Bearer(HttpRequest request)
    {
        var value = (string?)request.Headers[FakeUpstreamHeaders.Authorization];
        const string scheme = "Bearer ";
        return value is not null && value.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)
            ? value[scheme.Length..].Trim()
            : null;
    }
}

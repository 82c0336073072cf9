using Gateway.Front.Admission;
using Gateway.Front.Errors;
using Gateway.Front.Metrics;
using Gateway.Grains.Abstractions;

namespace Gateway.Front.Auth;

/// <summary>
/// Authentication with virtual keys: writes the 401 (a 429 to an address that keeps failing, a 503 when
/// the key service cannot be reached) itself and returns false. Pass-through mode registers
/// <see cref="PassThroughAuthentication"/> instead. A credential that is a gateway-signed token (a person
/// signed in, when sign-in is configured) is checked by the <see cref="IBearerTokenResolver"/> and then looked
/// up like a key, by the hash it names.
/// </summary>
public sealed class CallerAuthentication(KeyAuthenticator authenticator, IBearerTokenResolver? tokens = null) : ICallerAuthentication
{
    public async ValueTask<(bool Ok, KeyDescriptor? Key)> AuthenticateAsync(HttpContext context)
    {
        if (!ClientCredential.TryGet(context.Request, out var secret))
        {
            FrontMetrics.Rejected("authentication");
            await GatewayError.WriteAsync(context, StatusCodes.Status401Unauthorized, AnthropicErrorTypes.Authentication,
                "Missing API key: send your gateway key as x-api-key or Authorization: Bearer.");
            return (false, null);
        }
        KeyDescriptor? key;
        var client = context.Connection.RemoteIpAddress;
        string? tokenKeyId = null;
        try
        {
            KeyLookup lookup;
            if (tokens is not null && tokens.IsToken(secret))
            {
                var token = await tokens.ResolveAsync(secret);
                if (!token.Valid)
                {
                    // A 401 makes Claude Code run its apiKeyHelper again, which refreshes or signs in anew.
                    FrontMetrics.Rejected("authentication");
                    await GatewayError.WriteAsync(context, StatusCodes.Status401Unauthorized, AnthropicErrorTypes.Authentication, token.Error!);
                    return (false, null);
                }
                tokenKeyId = token.KeyId;
                lookup = authenticator.LookupHash(token.LookupHash!, client);
            }
            else
            {
                lookup = authenticator.Lookup(secret, client);
            }
            if (lookup.RetryAfter is { } wait)
            {
                // Before any grain call: a scan of made-up keys from one address stops costing the cluster anything.
                FrontMetrics.Rejected("authentication_limited");
                var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
                await GatewayError.WriteAsync(context, StatusCodes.Status429TooManyRequests, AnthropicErrorTypes.RateLimit,
                    $"Too many failed authentications from this address; retry after {seconds} s.", TimeSpan.FromSeconds(seconds), shouldRetry: false);
                return (false, null);
            }
            key = await lookup.Key;
            if (tokenKeyId is not null && key is not null && key.KeyId != tokenKeyId)
            {
                key = null;
            }
        }
        catch (Exception)
        {
            FrontMetrics.Rejected("unavailable");
            await GatewayError.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, AnthropicErrorTypes.Overloaded,
                "The gateway's key service is unavailable; retry shortly.", TimeSpan.FromSeconds(1), shouldRetry: true);
            return (false, null);
        }
        if (key is null || key.Revoked)
        {
            FrontMetrics.Rejected("authentication");
        }
        if (key is null)
        {
            await GatewayError.WriteAsync(context, StatusCodes.Status401Unauthorized, AnthropicErrorTypes.Authentication, "invalid x-api-key");
            return (false, null);
        }
        if (key.Revoked)
        {
            await GatewayError.WriteAsync(context, StatusCodes.Status401Unauthorized, AnthropicErrorTypes.Authentication, "This API key has been revoked.");
            return (false, null);
        }
        context.Features.Set(new TenantResponseHeaders());
        // Later steps that are handed only the context (routing a team to its own provider) read the key here.
        context.Features.Set(key);
        return (true, key);
    }
}

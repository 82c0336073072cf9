using Gateway.Front.Errors;

namespace Gateway.Front.Identity;

/// <summary>
/// The device flow through the gateway, so a developer's helper needs only the gateway's URL:
/// <c>POST /auth/device</c> starts it at the provider, <c>POST /auth/token</c> polls it and answers gateway
/// tokens once the person approved, <c>POST /auth/refresh</c> renews them. Parameters come as form fields or
/// query parameters; <c>?format=env</c> answers <c>KEY=value</c> lines. Unauthenticated by nature, so every
/// input is bounded and provider calls are capped per front (<see cref="IdentityOptions.MaxConcurrentProviderCalls"/>).
/// </summary>
public static class IdentityEndpoints
{
    public const string Prefix = "/auth";

    // Device codes and refresh tokens of real providers are well under this; anything longer is not one.
    private const int MaxParameterLength = 8 * 1024;
    private const long MaxBodyBytes = 32 * 1024;

    public static IEndpointRouteBuilder MapIdentityEndpoints(this IEndpointRouteBuilder endpoints)
    {
        if (endpoints.ServiceProvider.GetService<OidcIssuers>() is null)
        {
            return endpoints;
        }
        var auth = endpoints.MapGroup(Prefix);
        auth.MapPost("/device", DeviceAsync);
        auth.MapPost("/token", TokenAsync);
        auth.MapPost("/refresh", RefreshAsync);
        return endpoints;
    }

    private static async Task DeviceAsync(HttpContext context, OidcIssuers issuers, IdentityProviderClient provider, ProviderCallGate gate,
        ILoggerFactory loggers)
    {
        var (parameters, error) = await ReadAsync(context);
        if (parameters is null)
        {
            await AuthAnswer.RefuseAsync(context, StatusCodes.Status400BadRequest, AnthropicErrorTypes.InvalidRequest, error!);
            return;
        }
        var name = parameters.GetValueOrDefault("issuer");
        if (issuers.Find(name) is not { } issuer)
        {
            await AuthAnswer.RefuseAsync(context, StatusCodes.Status400BadRequest, AnthropicErrorTypes.InvalidRequest,
                $"issuer must name one of: {string.Join(", ", issuers.All.Select(i => i.Name))}.");
            return;
        }
        using var slot = gate.TryEnter();
        if (slot is null)
        {
            await RefuseBusyAsync(context);
            return;
        }
        DeviceAuthorization? started;
        try
        {
            (started, error) = await provider.StartDeviceFlowAsync(issuer, context.RequestAborted);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or InvalidOperationException or IOException)
        {
            await RefuseUnreachableAsync(context, issuer, loggers, e);
            return;
        }
        if (started is null)
        {
            await AuthAnswer.RefuseAsync(context, StatusCodes.Status502BadGateway, AnthropicErrorTypes.Api, error!);
            return;
        }
        await AuthAnswer.WriteAsync(context,
        [
            ("issuer", issuer.Name),
            // The issuer travels inside the device code, so polling needs nothing else (names cannot hold ':').
            ("device_code", issuer.Name + ":" + started.DeviceCode),
            ("user_code", started.UserCode),
            ("verification_uri", started.VerificationUri),
            ("verification_uri_complete", started.VerificationUriComplete),
            ("expires_in", started.ExpiresIn),
            ("interval", started.Interval),
        ]);
    }

    private static async Task TokenAsync(HttpContext context, OidcIssuers issuers, IdentityProviderClient provider, UserSignInService signIns,
        ProviderCallGate gate, ILoggerFactory loggers)
    {
        var (parameters, error) = await ReadAsync(context);
        if (parameters is null)
        {
            await AuthAnswer.RefuseAsync(context, StatusCodes.Status400BadRequest, AnthropicErrorTypes.InvalidRequest, error!);
            return;
        }
        var deviceCode = parameters.GetValueOrDefault("device_code") ?? "";
        var colon = deviceCode.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == deviceCode.Length - 1 || issuers.Find(deviceCode[..colon]) is not { } issuer)
        {
            await AuthAnswer.RefuseAsync(context, StatusCodes.Status400BadRequest, AnthropicErrorTypes.InvalidRequest,
                "device_code must be the one POST /auth/device answered.", "invalid_grant");
            return;
        }
        using var slot = gate.TryEnter();
        if (slot is null)
        {
            await RefuseBusyAsync(context);
            return;
        }
        SignInOutcome outcome;
        try
        {
            var answer = await provider.PollDeviceTokenAsync(issuer, deviceCode[(colon + 1)..], context.RequestAborted);
            if (!answer.Ok)
            {
                // authorization_pending and slow_down are the helper's cue to keep polling; others end the flow.
                await AuthAnswer.RefuseAsync(context, StatusCodes.Status400BadRequest, AnthropicErrorTypes.InvalidRequest,
                    $"{answer.Error}: {answer.ErrorDescription ?? "the identity provider did not issue tokens"}", answer.Error);
                return;
            }
            outcome = await signIns.SignInAsync(issuer, answer, context.RequestAborted);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or InvalidOperationException or IOException)
        {
            await RefuseUnreachableAsync(context, issuer, loggers, e);
            return;
        }
        await WriteOutcomeAsync(context, outcome);
    }

    private static async Task RefreshAsync(HttpContext context, TokenRefresh refresh, ProviderCallGate gate, OidcIssuers issuers, ILoggerFactory loggers)
    {
        var (parameters, error) = await ReadAsync(context);
        if (parameters is null || parameters.GetValueOrDefault("refresh_token") is not { Length: > 0 } token)
        {
            await AuthAnswer.RefuseAsync(context, StatusCodes.Status400BadRequest, AnthropicErrorTypes.InvalidRequest,
                error ?? "refresh_token is required.");
            return;
        }
        using var slot = gate.TryEnter();
        if (slot is null)
        {
            await RefuseBusyAsync(context);
            return;
        }
        SignInOutcome outcome;
        try
        {
            outcome = await refresh.RefreshAsync(token, context.RequestAborted);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or InvalidOperationException or IOException)
        {
            await RefuseUnreachableAsync(context, issuers.All[0], loggers, e);
            return;
        }
        await WriteOutcomeAsync(context, outcome);
    }

    private static Task WriteOutcomeAsync(HttpContext context, SignInOutcome outcome)
    {
        if (!outcome.Ok)
        {
            return AuthAnswer.RefuseAsync(context, outcome.Status, outcome.ErrorType!, outcome.Message!, outcome.OAuthError);
        }
        var user = outcome.User!;
        return AuthAnswer.WriteAsync(context,
        [
            ("access_token", outcome.AccessToken),
            ("token_type", "Bearer"),
            ("expires_in", (long)Math.Max(0, (outcome.ExpiresAt - DateTimeOffset.UtcNow).TotalSeconds)),
            ("expires_at", outcome.ExpiresAt.ToUnixTimeSeconds()),
            ("refresh_token", outcome.RefreshToken),
            ("user_id", user.KeyId),
            ("user_name", user.UserName),
            ("team_id", user.TeamId),
            ("issuer", user.IssuerName),
        ]);
    }

    private static Task RefuseBusyAsync(HttpContext context) =>
        AuthAnswer.RefuseAsync(context, StatusCodes.Status429TooManyRequests, AnthropicErrorTypes.RateLimit,
            "Too many sign-ins in progress on this gateway; retry in a second.", "slow_down", TimeSpan.FromSeconds(1));

    private static Task RefuseUnreachableAsync(HttpContext context, OidcIssuer issuer, ILoggerFactory loggers, Exception e)
    {
        IdentityLog.ProviderFailed(loggers.CreateLogger(IdentityLog.Category), issuer.Name, e);
        return AuthAnswer.RefuseAsync(context, StatusCodes.Status502BadGateway, AnthropicErrorTypes.Api,
            $"The identity provider '{issuer.Name}' could not be reached or answered badly; retry shortly.");
    }

    /// <summary>Form fields (url-encoded) over query parameters; bounded in size, count and length.</summary>
    private static async Task<(Dictionary<string, string>? Parameters, string? Error)> ReadAsync(HttpContext context)
    {
        var request = context.Request;
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in request.Query)
        {
            values[name] = value.ToString();
        }
        if (request.HasFormContentType)
        {
            if (request.ContentLength is null or > MaxBodyBytes)
            {
                return (null, $"The request body must state its length and be at most {MaxBodyBytes} bytes.");
            }
            try
            {
                var form = await request.ReadFormAsync(new Microsoft.AspNetCore.Http.Features.FormOptions
                {
                    ValueCountLimit = 16,
                    ValueLengthLimit = MaxParameterLength,
                    KeyLengthLimit = 64,
                    MultipartBodyLengthLimit = MaxBodyBytes,
                }, context.RequestAborted);
                foreach (var (name, value) in form)
                {
                    values[name] = value.ToString();
                }
            }
            catch (InvalidDataException e)
            {
                return (null, $"The form could not be read: {e.Message}");
            }
        }
        if (values.Count > 16 || values.Values.Any(v => v.Length > MaxParameterLength))
        {
            return (null, $"At most 16 parameters of at most {MaxParameterLength} characters each.");
        }
        return (values, null);
    }
}

using Gateway.Front.Auth;
using Gateway.Front.Errors;
using Gateway.Front.Metrics;
using Microsoft.Extensions.Primitives;

namespace Gateway.Front.SelfService;

/// <summary>
/// <c>GET /gateway/usage</c>: a key (or a signed-in user, which is a key of kind <c>user</c>) reads its own limits,
/// bucket levels, spend and budgets. Outside <c>/v1</c>, so it never shadows an Anthropic endpoint and is never
/// forwarded. Authenticated exactly as <c>/v1/messages</c> is (<see cref="ICallerAuthentication"/>: <c>x-api-key</c>
/// or <c>Authorization: Bearer</c>; unknown and revoked keys get the same 401, counted by the same failed-auth
/// limiter), and it answers only for the key that authenticated: no parameter names a key.
/// It takes nothing from the key's buckets: Claude Code's status line calls it after every turn, and charging that
/// would both eat the developer's limit and move the very figure it shows. What bounds a flood instead is
/// <see cref="KeyStandingCache"/>: one grain call per key per front per <see cref="SelfServiceOptions.CacheTime"/>.
/// <c>?format=text</c> answers one plain-text line (<see cref="UsageLine"/>) for status bars.
/// </summary>
public static class SelfServiceEndpoints
{
    public const string UsagePath = "/gateway/usage";

    public static IEndpointRouteBuilder MapSelfServiceEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet(UsagePath, UsageAsync);
        return app;
    }

    private static async Task UsageAsync(HttpContext context, ICallerAuthentication auth, KeyStandingCache standings)
    {
        var (authenticated, key) = await auth.AuthenticateAsync(context);
        if (!authenticated)
        {
            return;
        }
        if (key is null)
        {
            // Pass-through mode has no keys to report on (the endpoint is only mapped with virtual keys; this is a backstop).
            await GatewayError.WriteAsync(context, StatusCodes.Status404NotFound, AnthropicErrorTypes.NotFound,
                "Usage is kept per gateway key; this gateway runs without virtual keys.");
            return;
        }
        var text = false;
        if (context.Request.Query.TryGetValue("format", out var format))
        {
            if (!TryReadFormat(format, out text))
            {
                FrontMetrics.Rejected("invalid_format");
                await GatewayError.WriteAsync(context, StatusCodes.Status400BadRequest, AnthropicErrorTypes.InvalidRequest,
                    "format: must be json or text.");
                return;
            }
        }

        KeyStanding standing;
        try
        {
            standing = await standings.GetAsync(key);
        }
        catch (Exception)
        {
            FrontMetrics.Rejected("unavailable");
            await GatewayError.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, AnthropicErrorTypes.Overloaded,
                "The gateway's usage service is unavailable; retry shortly.", TimeSpan.FromSeconds(1), shouldRetry: true);
            return;
        }

        // One tenant's figures: no shared cache may keep them.
        context.Response.Headers.CacheControl = "private, no-store";
        if (text)
        {
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync(UsageLine.Format(standing) + "\n", context.RequestAborted);
            return;
        }
        await TypedResults.Json(SelfUsageResponse.From(standing), SelfServiceJsonContext.Default.SelfUsageResponse).ExecuteAsync(context);
    }

    private static bool TryReadFormat(StringValues values, out bool text)
    {
        text = false;
        if (values.Count != 1)
        {
            return false;
        }
        switch (values[0])
        {
            case "json":
                return true;
            case "text":
                text = true;
                return true;
            default:
                return false;
        }
    }
}

using Gateway.Front.Errors;
using Gateway.Front.Metrics;
using Microsoft.AspNetCore.Http.Features;

namespace Gateway.Front.Paths;

/// <summary>
/// Refuses a <c>/v1</c> request whose raw target is not canonical before any endpoint sees it (400
/// <c>invalid_request_error</c>), and one whose path differs in case from the route it matched (404
/// <c>not_found_error</c>, as Anthropic's API answers an unknown path). Paths outside <c>/v1</c>
/// (health, metrics, admin, <c>HEAD /</c>) pass untouched, unless their raw target starts with
/// <c>/v1</c> and was normalised away from it (<c>/v1/../admin/keys</c>). Query strings are not
/// examined. Runs after routing (WebApplication routes first), so the matched route's template is known.
/// </summary>
public static class CanonicalPathMiddleware
{
    public static IApplicationBuilder UseCanonicalApiPaths(this IApplicationBuilder app) =>
        app.Use(static (context, next) => CheckAsync(context, next));

    private static Task CheckAsync(HttpContext context, RequestDelegate next)
    {
        var decoded = context.Request.Path.Value ?? "";
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        var raw = string.IsNullOrEmpty(target) ? decoded.AsSpan() : CanonicalPath.PathOf(target);
        if (!CanonicalPath.IsApi(decoded) && !CanonicalPath.IsApi(raw))
        {
            return next(context);
        }
        if (CanonicalPath.Problem(raw, decoded) is { } problem)
        {
            FrontMetrics.Rejected("non_canonical_path");
            return GatewayError.WriteAsync(context, StatusCodes.Status400BadRequest, AnthropicErrorTypes.InvalidRequest,
                $"Non-canonical path in {context.Request.Method} {CanonicalPath.Quote(raw)}: {problem}.");
        }
        if (context.GetEndpoint() is RouteEndpoint { RoutePattern: var pattern } && !CanonicalPath.LiteralsMatchCase(pattern, raw))
        {
            FrontMetrics.Rejected("non_canonical_path");
            return GatewayError.WriteAsync(context, StatusCodes.Status404NotFound, AnthropicErrorTypes.NotFound,
                $"No such endpoint: {context.Request.Method} {CanonicalPath.Quote(raw)} (paths are case-sensitive, as in Anthropic's API).");
        }
        return next(context);
    }
}

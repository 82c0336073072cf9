using Gateway.Front.Audit;
using Gateway.Front.Auth;
using Gateway.Front.Errors;
using Gateway.Front.Forwarding;
using Gateway.Front.Metrics;
using Gateway.Front.Paths;
using Gateway.Grains.Abstractions;

namespace Gateway.Front.Endpoints;

/// <summary>
/// Every <c>/v1/*</c> path no explicit endpoint maps. With virtual keys it is refused (403
/// <c>permission_error</c> naming the method and path): the gateway can meter and own only what it
/// maps, and anything else (files, batches, <c>/v1/complete</c>, betas) would reach the whole upstream
/// organisation's data unmetered. A key's administrator may open paths for it (<c>open_paths</c>),
/// knowingly unmetered: those are forwarded as they came, body streamed, with an audit row
/// (<see cref="OpenPathForwarding"/>). In pass-through mode (no virtual keys) everything is forwarded,
/// as before. Anything outside <c>/v1</c> is not the API and gets a 404.
/// </summary>
public static class PassThroughEndpoints
{
    public static IEndpointRouteBuilder MapPassThroughEndpoints(this IEndpointRouteBuilder app)
    {
        app.Map("/v1/{**path}", async (HttpContext context, UpstreamForwarder forwarder, ICallerAuthentication auth, IAuditSink audit) =>
        {
            var (authenticated, key) = await auth.AuthenticateAsync(context);
            if (!authenticated)
            {
                return;
            }
            if (key is null)
            {
                using var exchange = new ProxyExchange { Endpoint = OpenPathForwarding.Endpoint };
                await forwarder.ForwardAsync(context, exchange);
                return;
            }
            // The canonical-path middleware has made sure the decoded path is the one the client sent.
            var path = context.Request.Path.Value ?? "";
            if (!OpenPaths.AnyMatches(key.OpenPaths, path))
            {
                FrontMetrics.Rejected("path_not_served");
                await GatewayError.WriteAsync(context, StatusCodes.Status403Forbidden, AnthropicErrorTypes.Permission,
                    $"{context.Request.Method} {CanonicalPath.Quote(path)} is not served to gateway keys: the gateway forwards only the endpoints "
                    + "it meters. An administrator can open a path for a key (open_paths), knowingly unmetered.");
                return;
            }
            await OpenPathForwarding.ForwardAsync(context, forwarder, audit, key);
        });
        app.MapFallback((HttpContext context) => GatewayError.WriteAsync(context, StatusCodes.Status404NotFound,
            AnthropicErrorTypes.NotFound, $"No such endpoint: {context.Request.Method} {CanonicalPath.Quote(context.Request.Path.Value)}"));
        return app;
    }
}

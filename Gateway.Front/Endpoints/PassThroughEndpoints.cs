using Gateway.Front.Auth;
using Gateway.Front.Errors;
using Gateway.Front.Forwarding;

namespace Gateway.Front.Endpoints;

/// <summary>
/// Every other <c>/v1/*</c> path (models, files, batches, betas the gateway has never heard of) goes
/// upstream as it came, body streamed; anything outside <c>/v1</c> is not the API and gets a 404.
/// </summary>
public static class PassThroughEndpoints
{
    public static IEndpointRouteBuilder MapPassThroughEndpoints(this IEndpointRouteBuilder app)
    {
        app.Map("/v1/{**path}", async (HttpContext context, UpstreamForwarder forwarder, CallerAuthentication auth) =>
        {
            if (!(await auth.AuthenticateAsync(context)).Ok)
            {
                return;
            }
            using var exchange = new ProxyExchange();
            await forwarder.ForwardAsync(context, exchange);
        });
        app.MapFallback((HttpContext context) => GatewayError.WriteAsync(context, StatusCodes.Status404NotFound,
            AnthropicErrorTypes.NotFound, $"No such endpoint: {context.Request.Method} {context.Request.Path}"));
        return app;
    }
}

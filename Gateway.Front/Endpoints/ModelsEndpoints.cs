using Gateway.Front.Auth;
using Gateway.Front.Errors;
using Gateway.Front.Forwarding;
using Gateway.Grains.Pricing;

namespace Gateway.Front.Endpoints;

/// <summary>
/// <c>GET /v1/models</c> and <c>GET /v1/models/{id}</c> (Claude Code discovers models with
/// <c>GET /v1/models?limit=1000</c> at start): authenticated, forwarded upstream as they came, free and
/// not metered. The list is passed through unfiltered: it is the upstream's public catalogue, holds no
/// tenant's data, and filtering it would mean buffering and rewriting the upstream's body; a key that
/// asks for one model its <c>allowed_models</c> does not permit gets a 404 <c>not_found_error</c>
/// without an upstream call, as if the model did not exist (using it would be refused anyway).
/// </summary>
public static class ModelsEndpoints
{
    public static IEndpointRouteBuilder MapModelsEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/models", ListAsync);
        app.MapGet("/v1/models/{id}", GetAsync);
        return app;
    }

    private static async Task ListAsync(HttpContext context, UpstreamForwarder forwarder, CallerAuthentication auth)
    {
        if (!(await auth.AuthenticateAsync(context)).Ok)
        {
            return;
        }
        using var exchange = new ProxyExchange();
        await forwarder.ForwardAsync(context, exchange);
    }

    private static async Task GetAsync(string id, HttpContext context, UpstreamForwarder forwarder, CallerAuthentication auth)
    {
        var (authenticated, key) = await auth.AuthenticateAsync(context);
        if (!authenticated)
        {
            return;
        }
        if (key is not null && !ModelPattern.AnyMatches(key.AllowedModels, id))
        {
            await GatewayError.WriteAsync(context, StatusCodes.Status404NotFound, AnthropicErrorTypes.NotFound,
                $"model: {Paths.CanonicalPath.Quote(id)}");
            return;
        }
        using var exchange = new ProxyExchange();
        await forwarder.ForwardAsync(context, exchange);
    }
}

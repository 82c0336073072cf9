using Gateway.Front.Admission;
using Gateway.Front.Auth;
using Gateway.Front.Errors;
using Gateway.Front.Forwarding;
using Gateway.Front.Routing;
using Gateway.Grains.Pricing;

namespace Gateway.Front.Endpoints;

/// <summary>
/// <c>GET /v1/models</c> and <c>GET /v1/models/{id}</c> (Claude Code discovers models with
/// <c>GET /v1/models?limit=1000</c> at start, with a 3 s timeout): authenticated, admitted against the key's request
/// bucket (one request, no tokens, no money: a flood stops at the key's own limit instead of spending the shared
/// upstream keys' request limits), then answered from the routing table (<see cref="ModelDirectory"/>: the models and
/// aliases the key may use across all providers, no upstream call) when the table says more than one Anthropic
/// upstream could; else forwarded upstream as they came (the catalogue holds no tenant's data). For a key with <c>allowed_models</c> the list is
/// narrowed to the models it permits (<see cref="ModelListFilter"/>), and asking for one model it does
/// not permit gets a 404 <c>not_found_error</c> without an upstream call, as if the model did not
/// exist (using it would be refused anyway).
/// </summary>
public static class ModelsEndpoints
{
    /// <summary>The <c>endpoint</c> label of model listing in <c>gateway_requests_in_flight</c>.</summary>
    public const string Endpoint = "models";

    public static IEndpointRouteBuilder MapModelsEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/models", ListAsync);
        app.MapGet("/v1/models/{id}", GetAsync);
        return app;
    }

    private static async Task ListAsync(HttpContext context, UpstreamForwarder forwarder, ICallerAuthentication auth, IRequestAdmission admission,
        ModelDirectory models)
    {
        var (authenticated, key) = await auth.AuthenticateAsync(context);
        if (!authenticated || !await admission.AdmitRequestAsync(context, key))
        {
            return;
        }
        if (models.AnswersLocally)
        {
            await ModelListWriter.WriteListAsync(context, models.For(key?.TeamId, key?.AllowedModels ?? []));
            return;
        }
        using var exchange = new ProxyExchange
        {
            Endpoint = Endpoint,
            RewriteSuccess = key is { AllowedModels.Count: > 0 } ? ModelListFilter.For(key.AllowedModels) : null,
        };
        await forwarder.ForwardAsync(context, exchange);
    }

    private static async Task GetAsync(string id, HttpContext context, UpstreamForwarder forwarder, ICallerAuthentication auth,
        IRequestAdmission admission, ModelDirectory models)
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
        if (!await admission.AdmitRequestAsync(context, key))
        {
            return;
        }
        if (models.AnswersLocally)
        {
            // The same list as GET /v1/models answers: a model it does not list is not found.
            var listed = models.For(key?.TeamId, key?.AllowedModels ?? []).Find(m => m.Id.Equals(id, StringComparison.OrdinalIgnoreCase));
            await (listed is not null
                ? ModelListWriter.WriteOneAsync(context, listed)
                : GatewayError.WriteAsync(context, StatusCodes.Status404NotFound, AnthropicErrorTypes.NotFound, $"model: {Paths.CanonicalPath.Quote(id)}"));
            return;
        }
        using var exchange = new ProxyExchange { Endpoint = Endpoint };
        await forwarder.ForwardAsync(context, exchange);
    }
}

using Gateway.Front.Auth;
using Gateway.Front.Buffers;
using Gateway.Front.Clouds;
using Gateway.Front.Envelope;
using Gateway.Front.Errors;
using Gateway.Front.Metrics;
using Gateway.Front.Pipeline;
using Gateway.Front.Upstreams;

namespace Gateway.Front.Endpoints;

/// <summary>
/// Claude Code's Vertex format, served by the gateway (<c>CLAUDE_CODE_USE_VERTEX=1</c>,
/// <c>ANTHROPIC_VERTEX_BASE_URL=https://gateway/v1</c>, <c>CLAUDE_CODE_SKIP_VERTEX_AUTH=1</c>):
/// <c>POST /v1/projects/{p}/locations/{l}/publishers/anthropic/models/{model}:rawPredict</c> and
/// <c>:streamRawPredict</c>, and <c>…/models/count-tokens:rawPredict</c>. Each request is turned into the Messages
/// request it stands for (<see cref="VertexIngressBody"/>; the Vertex model id mapped back to the name routing knows)
/// and runs the same <see cref="MessagesPipeline"/> as <c>/v1/messages</c> under the same endpoint names, so keys,
/// limits, budgets, routing (to any provider kind), cache injection, sessions and audit apply unchanged. The project
/// and location in the path are the client's and are not used: the route table decides where the request goes.
/// The virtual key comes as Claude Code sends it: <c>x-api-key</c> (ANTHROPIC_API_KEY) or <c>Authorization: Bearer</c>
/// (ANTHROPIC_AUTH_TOKEN).
/// </summary>
public static class VertexEndpoints
{
    public const string Route = "/v1/projects/{project}/locations/{location}/publishers/anthropic/models/{target}";

    private const string AnthropicVersionHeader = "anthropic-version";
    private const string AnthropicVersion = "2023-06-01";

    public static IEndpointRouteBuilder MapVertexEndpoints(this IEndpointRouteBuilder app)
    {
        // Vertex ids of the operator's own model tables map back to their names (the built-in defaults always do).
        var tables = app.ServiceProvider.GetRequiredService<UpstreamDirectory>().Providers
            .Where(p => p.IsVertex && p.Settings is not null)
            .SelectMany(p => p.Settings!.Models)
            .ToArray();
        var messages = new PipelineEndpoint(MessagesEndpointsNames.Messages, ReservesTokens: true,
            (context, body) => TranslateAsync(context, body, tables, counting: false));
        var countTokens = new PipelineEndpoint(MessagesEndpointsNames.CountTokens, ReservesTokens: false,
            (context, body) => TranslateAsync(context, body, tables, counting: true));

        app.MapPost(Route, (HttpContext context, MessagesPipeline pipeline, ICallerAuthentication auth) =>
        {
            var target = (string)context.Request.RouteValues["target"]!;
            return target switch
            {
                "count-tokens:rawPredict" => pipeline.RunAsync(context, countTokens),
                _ when target.EndsWith(":rawPredict", StringComparison.Ordinal) || target.EndsWith(":streamRawPredict", StringComparison.Ordinal)
                    => pipeline.RunAsync(context, messages),
                _ => NotFoundAsync(context, auth),
            };
        });
        app.MapMethods(Route, ["GET", "PUT", "PATCH", "DELETE"], MessagesEndpoints.MethodNotAllowed);
        return app;
    }

    /// <summary>Any other method of a publisher model (Vertex has many; the gateway serves three): after authentication, a 404.</summary>
    private static async Task NotFoundAsync(HttpContext context, ICallerAuthentication auth)
    {
        var (authenticated, _) = await auth.AuthenticateAsync(context);
        if (authenticated)
        {
            await GatewayError.WriteAsync(context, StatusCodes.Status404NotFound, AnthropicErrorTypes.NotFound,
                $"POST {Paths.CanonicalPath.Quote(context.Request.Path.Value)} is not served: the gateway serves :rawPredict, :streamRawPredict and count-tokens:rawPredict.");
        }
    }

    private static async ValueTask<RequestBody?> TranslateAsync(HttpContext context, RequestBody body,
        KeyValuePair<string, string>[] tables, bool counting)
    {
        var target = (string)context.Request.RouteValues["target"]!;
        var vertexModel = counting ? VertexIngressBody.ModelOf(body.Span) : target[..target.LastIndexOf(':')];
        if (vertexModel is null || VertexModelIds.FromVertex(vertexModel, tables) is not { } model)
        {
            FrontMetrics.Rejected("invalid_request");
            await GatewayError.InvalidRequest(context, vertexModel is null
                ? "model: Field required"
                : $"model: {Paths.CanonicalPath.Quote(vertexModel)} is not a model id");
            return null;
        }
        using var output = new PooledBufferWriter(body.Length + 64);
        var betas = new List<string>();
        if (!IngressBody.TryWrite(body.Span, model, stream: null, output, betas, out var error))
        {
            FrontMetrics.Rejected("invalid_request");
            await GatewayError.InvalidRequest(context, error!);
            return null;
        }
        var request = context.Request;
        request.Path = counting ? CloudUpstreams.CountTokensPath : CloudUpstreams.MessagesPath;
        request.QueryString = QueryString.Empty;
        if (!request.Headers.ContainsKey(AnthropicVersionHeader))
        {
            request.Headers[AnthropicVersionHeader] = AnthropicVersion;
        }
        if (betas.Count > 0)
        {
            var header = request.Headers[ProviderCapabilities.BetaHeader].ToString();
            request.Headers[ProviderCapabilities.BetaHeader] = string.Join(',',
                header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Concat(betas).Distinct(StringComparer.Ordinal));
        }
        return RequestBody.FromBytes(output.WrittenSpan);
    }
}

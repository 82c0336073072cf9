using Gateway.Front.Bedrock.Provider;
using Gateway.Front.Bedrock.Surface;
using Gateway.Front.Buffers;
using Gateway.Front.Envelope;
using Gateway.Front.Errors;
using Gateway.Front.Metrics;
using Gateway.Front.Pipeline;
using Gateway.Front.Upstreams;
using Microsoft.Extensions.Primitives;

namespace Gateway.Front.Endpoints;

/// <summary>
/// The Bedrock format Claude Code speaks with <c>CLAUDE_CODE_USE_BEDROCK=1</c> and <c>ANTHROPIC_BEDROCK_BASE_URL</c>
/// pointing here (and <c>CLAUDE_CODE_SKIP_BEDROCK_AUTH=1</c>: it sends the virtual key as <c>Authorization: Bearer</c>,
/// from <c>AWS_BEARER_TOKEN_BEDROCK</c> or <c>ANTHROPIC_AUTH_TOKEN</c>). <c>POST /model/{id}/invoke</c> and
/// <c>/invoke-with-response-stream</c> become Messages calls (model id mapped back to the gateway's names, body
/// and betas put back in Anthropic's form) and run the same <see cref="MessagesPipeline"/> as <c>/v1/messages</c>:
/// same key, routes, budgets, limits, audit and sessions. A stream goes back as an eventstream, whatever kind of
/// upstream served it. <c>GET /inference-profiles</c>, Claude Code's start-up probe, is answered from the built-in table.
/// </summary>
public static class BedrockEndpoints
{
    /// <summary>The <c>endpoint</c> of this surface's audit rows and metrics.</summary>
    public const string Endpoint = "bedrock_invoke";

    private const string MessagesPath = "/v1/messages";
    private const string AnthropicVersion = "2023-06-01";
    private const string BetaHeader = "anthropic-beta";

    private static readonly PipelineEndpoint Invoke = new(Endpoint, ReservesTokens: true, TranslateAsync);

    public static IEndpointRouteBuilder MapBedrockEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/model/{modelId}/invoke", static (HttpContext context, MessagesPipeline pipeline, UpstreamDirectory upstreams) =>
            HandleAsync(context, pipeline, upstreams, stream: false));
        app.MapPost("/model/{modelId}/invoke-with-response-stream", static (HttpContext context, MessagesPipeline pipeline, UpstreamDirectory upstreams) =>
            HandleAsync(context, pipeline, upstreams, stream: true));
        app.MapGet("/inference-profiles", ListProfilesAsync);
        return app;
    }

    private sealed record Ingress(string ModelId, bool Stream, IEnumerable<IReadOnlyDictionary<string, string>> Tables);

    private static async Task HandleAsync(HttpContext context, MessagesPipeline pipeline, UpstreamDirectory upstreams, bool stream)
    {
        var id = context.Request.RouteValues["modelId"] as string ?? "";
        // The id is the client's: Bedrock's alphabet only, before it is looked up or logged.
        if (!BedrockModelIds.IsValidId(id))
        {
            FrontMetrics.Rejected("invalid_request");
            await GatewayError.InvalidRequest(context, $"modelId: must be 1 to {BedrockModelIds.MaxLength} characters of letters, digits, '.', '-', '_', ':' or '/'.");
            return;
        }
        context.Features.Set(new Ingress(id, stream, upstreams.Providers.Where(p => p.Bedrock is not null).Select(p => (IReadOnlyDictionary<string, string>)p.Bedrock!.Models)));
        if (!stream)
        {
            await pipeline.RunAsync(context, Invoke);
            return;
        }
        var original = context.Response.Body;
        var response = EventStreamResponseStream.Install(context);
        try
        {
            await pipeline.RunAsync(context, Invoke);
            await response.CompleteAsync(context.RequestAborted);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException && context.RequestAborted.IsCancellationRequested)
        {
            // The client left; there is nobody to answer.
        }
        finally
        {
            context.Response.Body = original;
            await response.DisposeAsync();
        }
    }

    private static async ValueTask<RequestBody?> TranslateAsync(HttpContext context, RequestBody body)
    {
        var ingress = context.Features.Get<Ingress>()!;
        var model = BedrockModelIds.FromBedrock(ingress.ModelId, ingress.Tables);
        var betas = new List<string>();
        using var output = new PooledBufferWriter(body.Length + 256);
        if (!IngressBody.TryWrite(body.Span, model, ingress.Stream, output, betas, out var error))
        {
            FrontMetrics.Rejected("invalid_request");
            await GatewayError.InvalidRequest(context, error!);
            return null;
        }
        var headers = context.Request.Headers;
        context.Request.Path = MessagesPath;
        if (!headers.ContainsKey("anthropic-version"))
        {
            headers["anthropic-version"] = AnthropicVersion;
        }
        if (betas.Count > 0)
        {
            // The body's betas join the header's, as the Messages API takes them.
            headers[BetaHeader] = StringValues.Concat(headers[BetaHeader], string.Join(',', betas));
        }
        return RequestBody.FromBytes(output.WrittenSpan);
    }

    private static async Task ListProfilesAsync(HttpContext context, UpstreamDirectory upstreams)
    {
        var bedrock = upstreams.Providers.FirstOrDefault(p => p.Bedrock is not null)?.Bedrock;
        using var output = new PooledBufferWriter(8192);
        InferenceProfileList.Write(output, bedrock?.Profile ?? "us", bedrock?.Region ?? "us-east-1");
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = output.WrittenCount;
        await context.Response.Body.WriteAsync(output.WrittenMemory, context.RequestAborted);
    }
}

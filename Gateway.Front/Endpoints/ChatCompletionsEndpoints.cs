using Gateway.Front.Buffers;
using Gateway.Front.Envelope;
using Gateway.Front.Metrics;
using Gateway.Front.OpenAi;
using Gateway.Front.OpenAi.Surface;
using Gateway.Front.Pipeline;
using Microsoft.AspNetCore.Http.Features;

namespace Gateway.Front.Endpoints;

/// <summary>
/// <c>POST /v1/chat/completions</c>: the OpenAI surface. The body is translated into a Messages request and
/// goes through the same <see cref="MessagesPipeline"/> as <c>/v1/messages</c> (virtual key, envelope, cache injection,
/// admission, forwarding, settlement and audit, under the endpoint name <see cref="Endpoint"/>); every response,
/// the gateway's own errors included, is translated back by <see cref="ChatResponseStream"/>.
/// </summary>
public static class ChatCompletionsEndpoints
{
    /// <summary>The <c>endpoint</c> of this surface's audit rows and metrics.</summary>
    public const string Endpoint = "chat_completions";

    public const string Path = "/v1/chat/completions";

    /// <summary>Where the translated request goes upstream.</summary>
    private const string MessagesPath = "/v1/messages";

    /// <summary>OpenAI clients send no anthropic-version; the Messages API requires one.</summary>
    private const string AnthropicVersion = "2023-06-01";

    private const string AnthropicVersionHeader = "anthropic-version";

    private static readonly PipelineEndpoint Chat = new(Endpoint, ReservesTokens: true, TranslateAsync);

    public static IEndpointRouteBuilder MapChatCompletionsEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost(Path, HandleAsync);
        app.MapMethods(Path, ["GET", "PUT", "PATCH", "DELETE"], MethodNotAllowedAsync);
        return app;
    }

    private static async Task HandleAsync(HttpContext context, MessagesPipeline pipeline, TimeProvider time)
    {
        var original = context.Response.Body;
        var response = ChatResponseStream.Install(context, time);
        // The translation (a static step of the pipeline) tells the response stream what the client asked for.
        context.Features.Set(response);
        try
        {
            await pipeline.RunAsync(context, Chat);
        }
        finally
        {
            await FinishAsync(context, response, original);
        }
    }

    private static async Task MethodNotAllowedAsync(HttpContext context, TimeProvider time)
    {
        var original = context.Response.Body;
        var response = ChatResponseStream.Install(context, time);
        try
        {
            await MessagesEndpoints.MethodNotAllowed(context);
        }
        finally
        {
            await FinishAsync(context, response, original);
        }
    }

    private static async ValueTask<RequestBody?> TranslateAsync(HttpContext context, RequestBody body)
    {
        using var output = new PooledBufferWriter(body.Length + body.Length / 4 + 256);
        if (!ChatToMessagesRequest.TryTranslate(body.Span, output, out var shape, out var error))
        {
            // Before admission: nothing reserved, nothing charged, no audit row.
            FrontMetrics.Rejected("invalid_request");
            await OpenAiErrorBody.WriteResponseAsync(context, StatusCodes.Status400BadRequest, error!.Message, OpenAiErrorTypes.InvalidRequest, error.Param);
            return null;
        }
        context.Features.GetRequiredFeature<ChatResponseStream>().Request = shape;
        context.Request.Path = MessagesPath;
        if (!context.Request.Headers.ContainsKey(AnthropicVersionHeader))
        {
            context.Request.Headers[AnthropicVersionHeader] = AnthropicVersion;
        }
        return RequestBody.FromBytes(output.WrittenSpan);
    }

    private static async Task FinishAsync(HttpContext context, ChatResponseStream response, Stream original)
    {
        try
        {
            await response.CompleteAsync(context.RequestAborted);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException && context.RequestAborted.IsCancellationRequested)
        {
            // The client left; there is nobody to answer.
        }
        finally
        {
            context.Response.Body = original;
            response.Dispose();
        }
    }
}

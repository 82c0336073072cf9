using Gateway.Front.Errors;
using Gateway.Front.Pipeline;

namespace Gateway.Front.Endpoints;

/// <summary>
/// <c>POST /v1/messages</c> and <c>POST /v1/messages/count_tokens</c>, both through the <see cref="MessagesPipeline"/>.
/// </summary>
public static class MessagesEndpoints
{
    public const string SessionHeader = MessagesPipeline.SessionHeader;

    private static readonly PipelineEndpoint Messages = new(MessagesEndpointsNames.Messages, ReservesTokens: true);

    /// <summary>
    /// count_tokens costs a request of the key's bucket (a flood would otherwise drive the shared upstream keys
    /// into cool-down), and no tokens or money: admitted with nothing reserved, never charged.
    /// </summary>
    private static readonly PipelineEndpoint CountTokens = new(MessagesEndpointsNames.CountTokens, ReservesTokens: false);

    public static IEndpointRouteBuilder MapMessagesEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/messages", static (HttpContext context, MessagesPipeline pipeline) => pipeline.RunAsync(context, Messages));
        app.MapPost("/v1/messages/count_tokens", static (HttpContext context, MessagesPipeline pipeline) => pipeline.RunAsync(context, CountTokens));
        app.MapMethods("/v1/messages", ["GET", "PUT", "PATCH", "DELETE"], MethodNotAllowed);
        app.MapMethods("/v1/messages/count_tokens", ["GET", "PUT", "PATCH", "DELETE"], MethodNotAllowed);
        return app;
    }

    internal static Task MethodNotAllowed(HttpContext context)
    {
        context.Response.Headers.Allow = "POST";
        return GatewayError.WriteAsync(context, StatusCodes.Status405MethodNotAllowed, AnthropicErrorTypes.InvalidRequest,
            $"Method {context.Request.Method} is not allowed on {context.Request.Path}; use POST.");
    }
}

/// <summary>The endpoint names of Messages calls in audit rows and metrics, whichever surface they came in by (Anthropic's or Vertex's).</summary>
public static class MessagesEndpointsNames
{
    public const string Messages = "messages";
    public const string CountTokens = "count_tokens";
}

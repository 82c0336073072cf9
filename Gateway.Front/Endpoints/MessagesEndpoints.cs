using Gateway.Front.Admission;
using Gateway.Front.Auth;
using Gateway.Front.Envelope;
using Gateway.Front.Errors;
using Gateway.Front.Forwarding;
using Gateway.Front.Metrics;
using Gateway.Front.Rewrite;
using Gateway.Front.Settlement;
using Microsoft.Extensions.Options;

namespace Gateway.Front.Endpoints;

/// <summary>
/// <c>POST /v1/messages</c> and <c>POST /v1/messages/count_tokens</c>: the body is read once into a
/// pooled buffer, its envelope checked, and the original bytes forwarded.
/// </summary>
public static class MessagesEndpoints
{
    public const string SessionHeader = "X-Claude-Code-Session-Id";

    private const string MessagesEndpoint = "messages";
    private const string CountTokensEndpoint = "count_tokens";

    public static IEndpointRouteBuilder MapMessagesEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/messages", HandleMessagesAsync);
        app.MapPost("/v1/messages/count_tokens", HandleCountTokensAsync);
        app.MapMethods("/v1/messages", ["GET", "PUT", "PATCH", "DELETE"], MethodNotAllowed);
        app.MapMethods("/v1/messages/count_tokens", ["GET", "PUT", "PATCH", "DELETE"], MethodNotAllowed);
        return app;
    }

    /// <summary>Admission and settlement exist only with virtual keys (absent in pass-through mode).</summary>
    private static Task HandleMessagesAsync(HttpContext context, UpstreamForwarder forwarder, IOptions<GatewayOptions> options,
        CallerAuthentication auth) =>
        ForwardMessagesAsync(context, MessagesEndpoint, forwarder, options, auth, context.RequestServices.GetService<RequestAdmission>());

    /// <summary>
    /// count_tokens costs a request of the key's bucket (a flood would otherwise drive the shared upstream keys
    /// into cool-down), and no tokens or money: admitted with nothing reserved, never charged.
    /// </summary>
    private static Task HandleCountTokensAsync(HttpContext context, UpstreamForwarder forwarder, IOptions<GatewayOptions> options,
        CallerAuthentication auth) =>
        ForwardMessagesAsync(context, CountTokensEndpoint, forwarder, options, auth, context.RequestServices.GetService<RequestAdmission>());

    /// <summary>
    /// The pipeline of every endpoint that ends in a Messages call: authenticate, read the body, translate it
    /// (another surface's request into a Messages one, e.g. Chat Completions), read its envelope, inject cache
    /// breakpoints, admit, forward, then settle and audit under <paramref name="endpoint"/>.
    /// </summary>
    internal static async Task ForwardMessagesAsync(HttpContext context, string endpoint, UpstreamForwarder forwarder, IOptions<GatewayOptions> options,
        CallerAuthentication auth, RequestAdmission? admission, RequestTranslation? translate = null)
    {
        var (authenticated, key) = await auth.AuthenticateAsync(context);
        if (!authenticated)
        {
            return;
        }

        var body = await RequestBodyReader.ReadOrRefuseAsync(context, options.Value.MaxRequestBodyBytes);
        if (body is null)
        {
            return;
        }

        if (translate is not null)
        {
            RequestBody? translated;
            try
            {
                translated = await translate(context, body);
            }
            finally
            {
                body.Dispose();
            }
            if (translated is null)
            {
                return; // the translation answered the client itself
            }
            body = translated;
        }

        var envelope = ReadEnvelope(context, body, out var error);
        if (envelope is null)
        {
            body.Dispose();
            FrontMetrics.Rejected("invalid_request");
            await GatewayError.InvalidRequest(context, error);
            return;
        }
        if (endpoint != CountTokensEndpoint && context.RequestServices.GetService<CacheInjection>() is { } injection
            && injection.MayRewrite(body.Length, envelope.Model)
            && injection.Apply(body, envelope, injection.ResolvePolicy(context.Request.Headers, key?.CacheInjection, key?.CacheTtl), out var injected) is { } rewritten)
        {
            // Breakpoints added server-side; the original bytes are released, the rewritten ones forwarded.
            body.Dispose();
            body = rewritten;
            envelope = envelope with { BodyBytes = rewritten.Length, CacheBreakpoints = injected.BreakpointsAfter };
        }

        using var exchange = new ProxyExchange { Body = body, Envelope = envelope, ReadsMessageLimits = endpoint != CountTokensEndpoint };
        Reservation? reservation = null;
        if (key is not null && admission is not null)
        {
            var counting = endpoint == CountTokensEndpoint;
            var input = admission.EstimateInputTokens(envelope.BodyBytes);
            var reserved = counting
                ? new Reservation(key.KeyId, 0, 0)
                : new Reservation(key.KeyId, input, admission.ReserveOutputTokens(envelope.MaxTokens)) { WorstCaseUsd = admission.WorstCaseUsd(key, envelope, input, body.Span) };
            if (await admission.AdmitAsync(context, key, envelope, reserved) is not { } admitted)
            {
                return;
            }
            // A count is not settled: no charge, no usage on the key.
            reservation = counting ? null : admitted;
        }
        try
        {
            await forwarder.ForwardAsync(context, exchange);
        }
        finally
        {
            await context.RequestServices.GetRequiredService<RequestCompletion>().CompleteAsync(context, endpoint, envelope, exchange, key, reservation);
        }
    }

    private static RequestEnvelope? ReadEnvelope(HttpContext context, RequestBody body, out string error)
    {
        var session = context.Request.Headers[SessionHeader];
        return EnvelopeReader.TryRead(body.Span, session.Count > 0 ? session[0] : null, out var envelope, out error)
            ? envelope
            : null;
    }

    /// <summary>Turns a request body of another surface into a Messages body; null once it has written its own error.</summary>
    internal delegate ValueTask<RequestBody?> RequestTranslation(HttpContext context, RequestBody body);

    internal static Task MethodNotAllowed(HttpContext context)
    {
        context.Response.Headers.Allow = "POST";
        return GatewayError.WriteAsync(context, StatusCodes.Status405MethodNotAllowed, AnthropicErrorTypes.InvalidRequest,
            $"Method {context.Request.Method} is not allowed on {context.Request.Path}; use POST.");
    }
}

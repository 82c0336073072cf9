using System.Globalization;
using System.Net.Http.Headers;
using Gateway.Front.Errors;
using Gateway.Front.Upstreams;

namespace Gateway.Front.Forwarding;

/// <summary>
/// What differs on the wire when the route's provider is of kind <c>openai</c>: the path
/// (<c>/v1/chat/completions</c> on the provider's base URL), the credential (<c>Authorization: Bearer</c>,
/// not <c>x-api-key</c>), Anthropic's own headers (not sent), and the endpoints that have no Chat
/// counterpart, answered by the gateway itself.
/// </summary>
internal static class OpenAiUpstream
{
    public const string ChatCompletionsPath = "/v1/chat/completions";
    public const string MessagesPath = "/v1/messages";
    public const string CountTokensPath = "/v1/messages/count_tokens";

    /// <summary>Set on answers the gateway computed itself for an OpenAI-compatible provider.</summary>
    public const string EstimateHeader = "x-gateway-token-estimate";

    public static bool IsMessages(HttpContext context) => context.Request.Path.Equals(MessagesPath, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Answers what an OpenAI-compatible provider cannot: <c>count_tokens</c> gets the gateway's own
    /// estimate (<see cref="ProxyExchange.EstimatedInputTokens"/>, admission's bytes-per-token rule; Chat Completions has no
    /// counting endpoint, and Claude Code uses the count only to size its context), and any other
    /// path (models, files, batches) a 404. False: the request is a Messages call to translate.
    /// </summary>
    public static async ValueTask<bool> TryAnswerLocallyAsync(HttpContext context, ProxyExchange exchange, string provider)
    {
        if (IsMessages(context) && exchange.Body is not null)
        {
            return false;
        }
        if (context.Request.Path.Equals(CountTokensPath, StringComparison.OrdinalIgnoreCase) && exchange.Envelope is not null)
        {
            var tokens = exchange.EstimatedInputTokens;
            var response = context.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/json";
            response.Headers[GatewayError.RequestIdHeader] = GatewayError.NewRequestId();
            response.Headers[EstimateHeader] = "true";
            var body = "{\"input_tokens\":" + tokens.ToString(CultureInfo.InvariantCulture) + "}";
            response.ContentLength = body.Length;
            await response.WriteAsync(body, context.RequestAborted);
            return true;
        }
        await GatewayError.WriteAsync(context, StatusCodes.Status404NotFound, AnthropicErrorTypes.NotFound,
            $"{context.Request.Method} {context.Request.Path} is not available: provider '{provider}' is OpenAI-compatible and serves only /v1/messages.");
        return true;
    }

    /// <summary>Points the request at Chat Completions and swaps Anthropic's headers and credential for OpenAI's.</summary>
    public static void TransformRequest(HttpRequestMessage proxyRequest, string destinationPrefix, UpstreamCredential? credential)
    {
        // The client's query (?beta=true) is Anthropic's; Chat Completions takes none.
        proxyRequest.RequestUri = new Uri(destinationPrefix + ChatCompletionsPath, UriKind.Absolute);
        var clientKey = proxyRequest.Headers.TryGetValues("x-api-key", out var keys) ? keys.FirstOrDefault() : null;
        var drop = new List<string>();
        foreach (var header in proxyRequest.Headers)
        {
            if (header.Key.StartsWith("anthropic-", StringComparison.OrdinalIgnoreCase))
            {
                drop.Add(header.Key);
            }
        }
        foreach (var name in drop)
        {
            proxyRequest.Headers.Remove(name);
        }
        proxyRequest.Headers.Remove("x-api-key");
        if (credential is not null)
        {
            proxyRequest.Headers.Authorization = new AuthenticationHeaderValue("Bearer", credential.Secret);
        }
        else if (!string.IsNullOrEmpty(clientKey))
        {
            // Pass-through to a keyless provider: the client's own key, in the header OpenAI reads.
            proxyRequest.Headers.Authorization = new AuthenticationHeaderValue("Bearer", clientKey);
        }
    }

    /// <summary>
    /// Fixes the headers the forwarder copied from the upstream for the translated body: no length
    /// (it changes), the translation's content type, and Anthropic's <c>request-id</c> from OpenAI's
    /// <c>x-request-id</c> (the audit record's request id comes from it).
    /// </summary>
    public static void FixResponseHeaders(HttpResponse response, HttpResponseMessage upstream, MediaTypeHeaderValue? contentType)
    {
        response.ContentLength = null;
        response.Headers.ContentType = contentType?.ToString();
        if (!response.Headers.ContainsKey(GatewayError.RequestIdHeader)
            && upstream.Headers.TryGetValues("x-request-id", out var ids) && ids.FirstOrDefault() is { Length: > 0 } id)
        {
            response.Headers[GatewayError.RequestIdHeader] = id;
        }
    }
}

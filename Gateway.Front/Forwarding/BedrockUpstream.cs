using System.Net.Http.Headers;
using Gateway.Front.Bedrock.Provider;
using Gateway.Front.Clouds;
using Gateway.Front.Envelope;
using Gateway.Front.Errors;
using Gateway.Front.Upstreams;

namespace Gateway.Front.Forwarding;

/// <summary>
/// What differs on the wire when the route's provider is of kind <c>bedrock</c>: the model goes into the path
/// (<c>/model/{id}/invoke</c> or <c>/invoke-with-response-stream</c>, the id mapped and escaped), the body loses
/// <c>model</c> and <c>stream</c> and gains <c>anthropic_version</c> and the client's betas
/// (<see cref="CloudRequestBody"/>), Anthropic's headers and the client's credential go, and the request is
/// SigV4-signed (or carries a Bedrock API key). On the way back, errors get Anthropic's statuses and shape and a
/// streamed answer is turned into SSE, before the usage tap.
/// </summary>
internal static class BedrockUpstream
{
    public static readonly CloudBodySettings BodySettings = new("bedrock-2023-05-31", MoveBetas: true, DropStream: true);

    public const string BetaHeader = "anthropic-beta";

    /// <summary>
    /// Answers what a Bedrock provider cannot serve as asked: count_tokens gets the gateway's estimate (as for an
    /// OpenAI-compatible provider), other paths a 404, and a model with no Bedrock id a 404 naming it (never forwarded).
    /// False: a Messages call to send, its Bedrock id in <see cref="ProxyExchange.CloudModelId"/>.
    /// </summary>
    public static async ValueTask<bool> TryAnswerLocallyAsync(HttpContext context, ProxyExchange exchange, UpstreamProvider provider, string? alias)
    {
        if (!OpenAiUpstream.IsMessages(context) || exchange.Body is null || exchange.Envelope is null)
        {
            return await OpenAiUpstream.TryAnswerLocallyAsync(context, exchange, provider.Name);
        }
        var model = alias ?? exchange.Envelope.Model;
        if (provider.Bedrock!.ModelId(model) is not { } id)
        {
            await GatewayError.WriteAsync(context, StatusCodes.Status404NotFound, AnthropicErrorTypes.NotFound,
                $"model: {model} has no Amazon Bedrock model id on provider '{provider.Name}' (add it to Upstream:Providers:N:Models).");
            return true;
        }
        exchange.CloudModelId = id;
        return false;
    }

    /// <summary>
    /// The body as Bedrock takes it, less what Bedrock refuses (<see cref="ProviderCapabilities.Bedrock"/>, each drop
    /// counted for <paramref name="provider"/>); null with <paramref name="error"/> when the client's betas or body cannot be moved.
    /// </summary>
    public static RequestBody? Body(RequestBody messages, IHeaderDictionary headers, string provider, out string? error)
    {
        using var output = new Buffers.PooledBufferWriter(messages.Length + 512);
        if (!CloudRequestBody.TryWrite(messages.Span, BodySettings, headers[BetaHeader], output, out error))
        {
            return null;
        }
        return CapabilityBodyFilter.Apply(output.WrittenSpan, ProviderCapabilities.Bedrock, provider) is { } filtered
            ? RequestBody.FromBytes(filtered)
            : RequestBody.FromBytes(output.WrittenSpan);
    }

    /// <summary>
    /// Signs the attempt (a fresh SigV4 date each time) and keeps the headers for the transformer; false once it
    /// has answered the client itself (no AWS credentials could be found).
    /// </summary>
    public static async ValueTask<bool> TrySignAsync(HttpContext context, ProxyExchange exchange, UpstreamProvider provider,
        RequestBody body, ILogger logger, CancellationToken cancellationToken)
    {
        var uri = new Uri(provider.DestinationPrefix + BedrockEndpoint.PathFor(exchange.CloudModelId!, exchange.Envelope!.Stream), UriKind.Absolute);
        exchange.CloudUri = uri;
        if (exchange.Upstream is { Secret.Length: > 0 })
        {
            exchange.CloudSignature = null; // a Bedrock API key: bearer, no signature
            return true;
        }
        try
        {
            exchange.CloudSignature = await provider.Bedrock!.SignAsync(uri, JsonMediaType, body.Memory, cancellationToken);
            return true;
        }
        catch (Amazon.Runtime.AmazonClientException e)
        {
            ForwardingLog.BedrockCredentials(logger, provider.Name, e.Message);
            await GatewayError.WriteAsync(context, StatusCodes.Status500InternalServerError, AnthropicErrorTypes.Api,
                $"The gateway has no AWS credentials for provider '{provider.Name}'.");
            return false;
        }
    }

    private const string JsonMediaType = "application/json";
    private const string EventStreamMediaType = BedrockTranslatingContent.EventStreamMediaType;

    /// <summary>Points the request at the model's invoke path, drops Anthropic's headers and the client's credential, and applies the signature.</summary>
    public static void TransformRequest(HttpRequestMessage proxyRequest, ProxyExchange exchange)
    {
        proxyRequest.RequestUri = exchange.CloudUri;
        // The signature covers the host it was computed for; the client's Host must not go through.
        proxyRequest.Headers.Host = exchange.CloudUri!.IsDefaultPort ? exchange.CloudUri.Host : exchange.CloudUri.Authority;
        var drop = new List<string>();
        foreach (var header in proxyRequest.Headers)
        {
            if (header.Key.StartsWith("anthropic-", StringComparison.OrdinalIgnoreCase) || header.Key.StartsWith("x-amz", StringComparison.OrdinalIgnoreCase))
            {
                drop.Add(header.Key);
            }
        }
        foreach (var name in drop)
        {
            proxyRequest.Headers.Remove(name);
        }
        proxyRequest.Headers.Remove("x-api-key");
        proxyRequest.Headers.Authorization = null;
        proxyRequest.Headers.Accept.Clear();
        proxyRequest.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(exchange.Envelope!.Stream ? EventStreamMediaType : JsonMediaType));
        if (proxyRequest.Content is { } content)
        {
            content.Headers.ContentType = new MediaTypeHeaderValue(JsonMediaType);
        }
        if (exchange.CloudSignature is { } signature)
        {
            foreach (var (name, value) in signature)
            {
                proxyRequest.Headers.Remove(name);
                proxyRequest.Headers.TryAddWithoutValidation(name, value);
            }
        }
        else if (exchange.Upstream is { Secret.Length: > 0 } key)
        {
            proxyRequest.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key.Secret);
        }
    }

    /// <summary>Anthropic's status and error type for a failed Bedrock response (by <c>x-amzn-ErrorType</c>, else status).</summary>
    public static (int Status, string Type) MapError(HttpResponseMessage response)
    {
        var name = response.Headers.TryGetValues("x-amzn-ErrorType", out var values) ? values.FirstOrDefault() ?? "" : "";
        return BedrockStreamErrors.Map(name, (int)response.StatusCode);
    }

    /// <summary>Fixes the headers copied from Bedrock for the translated body: no length, the translation's type, Anthropic's <c>request-id</c>.</summary>
    public static void FixResponseHeaders(HttpResponse response, HttpResponseMessage upstream, bool translated)
    {
        if (translated)
        {
            response.ContentLength = null;
            response.Headers.ContentType = upstream.Content.Headers.ContentType?.ToString();
        }
        if (!response.Headers.ContainsKey(GatewayError.RequestIdHeader)
            && upstream.Headers.TryGetValues("x-amzn-RequestId", out var ids) && ids.FirstOrDefault() is { Length: > 0 } id)
        {
            response.Headers[GatewayError.RequestIdHeader] = id;
        }
    }
}

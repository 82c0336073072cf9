using Gateway.Front.Admission;
using Gateway.Front.OpenAi.Provider;
using Gateway.Front.Streaming;
using Gateway.Front.Upstreams;
using Microsoft.AspNetCore.Http.Features;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Front.Forwarding;

/// <summary>
/// YARP transform for every upstream call: swaps the client's credential for the upstream one,
/// holds back retryable failures while a retry is still possible, and puts the usage tap on the
/// response body. YARP's default copy keeps every other header (minus hop-by-hop and host). What it
/// made of the response goes back to the retry loop as one <see cref="UpstreamAnswer"/>.
/// </summary>
internal sealed class UpstreamTransformer : HttpTransformer
{
    public static readonly UpstreamTransformer Instance = new();

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest,
        string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
        var exchange = httpContext.Features.GetRequiredFeature<ProxyExchange>();
        if (exchange.CurrentProvider is { IsOpenAi: true })
        {
            OpenAiUpstream.TransformRequest(proxyRequest, destinationPrefix, exchange.Upstream);
        }
        else if (exchange.Cloud is { } cloud)
        {
            cloud.Apply(proxyRequest, destinationPrefix, exchange.Provider ?? "",
                httpContext.Request.Path.Equals(Clouds.CloudUpstreams.CountTokensPath, StringComparison.OrdinalIgnoreCase));
        }
        else if (exchange.CurrentProvider is { IsBedrock: true })
        {
            BedrockUpstream.TransformRequest(proxyRequest, exchange);
        }
        else if (exchange.Upstream is { } credential)
        {
            proxyRequest.Headers.Remove("x-api-key");
            proxyRequest.Headers.Authorization = null;
            proxyRequest.Headers.TryAddWithoutValidation("x-api-key", credential.Secret);
        }
        // Identity encoding: the tap must read usage from the bytes, and on the links a gateway sits
        // on (same region, HTTP/2) decompressing for the tap costs more CPU than the bytes saved.
        proxyRequest.Headers.AcceptEncoding.Clear();
    }

    public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse,
        CancellationToken cancellationToken)
    {
        var exchange = httpContext.Features.GetRequiredFeature<ProxyExchange>();
        if (proxyResponse is null)
        {
            return await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
        }
        var status = (int)proxyResponse.StatusCode;
        var bedrock = exchange.CurrentProvider is { IsBedrock: true };
        string? bedrockError = null;
        if (bedrock && status >= 400)
        {
            // Bedrock's statuses as Anthropic's (throttling 429, unavailable 529, ...) before anything decides on them.
            (status, bedrockError) = BedrockUpstream.MapError(proxyResponse);
            proxyResponse.StatusCode = (System.Net.HttpStatusCode)status;
            httpContext.Response.StatusCode = status;
        }
        exchange.Answer = new UpstreamAnswer(status, null, null);
        if (exchange.Key is { } key && exchange.ReadsMessageLimits)
        {
            // What the response says about its key feeds the pool (and, in the background, the cluster).
            var now = DateTimeOffset.UtcNow;
            var levels = RateLimitObservation.Read(proxyResponse.Headers, now);
            if (levels is not null)
            {
                key.Observe(levels);
            }
            if (status == 429)
            {
                // A 429 limits one model class of this key, and only when its bucket is empty: one oversized
                // request refused while the bucket has room must not stop every team's next requests.
                if (!RateLimitObservation.ShowsRoom(levels))
                {
                    key.CoolDown(RateLimitObservation.RetryAfter(proxyResponse.Headers), now, exchange.ModelClass);
                }
            }
            else if (status == RetryPolicy.Overloaded && RateLimitObservation.RetryAfter(proxyResponse.Headers) is not null)
            {
                key.CoolDown(RateLimitObservation.RetryAfter(proxyResponse.Headers), now);
            }
        }
        var openAi = exchange.CurrentProvider is { IsOpenAi: true };
        var vertex = exchange.CurrentProvider is { IsVertex: true };
        if ((status == 429 && exchange.MayRetryRateLimit)
            || (exchange.MayRetryResponse && RetryPolicy.IsRetryableStatus(proxyResponse.StatusCode)))
        {
            var held = await CapturedResponse.CaptureAsync(proxyResponse, cancellationToken);
            // Replayed to an Anthropic client if no retry succeeds: in Anthropic's shape, headers kept.
            exchange.Answer = new UpstreamAnswer(status,
                openAi ? held.TranslatedFromOpenAi() : vertex ? held.TranslatedFromVertex() : bedrock ? held.TranslatedFromBedrock(bedrockError!) : held, null);
            return false;
        }

        await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
        if (openAi)
        {
            // Translated before the tap wraps it: usage, settlement, audit and budgets see Anthropic's bytes.
            proxyResponse.Content = ChatTranslatingContent.For(proxyResponse);
            OpenAiUpstream.FixResponseHeaders(httpContext.Response, proxyResponse, proxyResponse.Content.Headers.ContentType);
        }
        else if (vertex && status >= 400)
        {
            // Google-shaped errors (quota, auth) become Anthropic's, which clients' retry logic reads.
            proxyResponse.Content = Clouds.VertexErrorContent.For(proxyResponse.Content, status);
            httpContext.Response.ContentLength = null;
        }
        else if (bedrock)
        {
            // Eventstream into SSE and errors into Anthropic's shape, before the tap: usage, settlement and audit read Anthropic's bytes.
            var translated = Bedrock.Provider.BedrockTranslatingContent.For(proxyResponse, bedrockError);
            if (translated is not null)
            {
                proxyResponse.Content = translated;
            }
            BedrockUpstream.FixResponseHeaders(httpContext.Response, proxyResponse, translated is not null);
        }
        TenantResponseHeaders.ApplyTo(httpContext);
        if (exchange.RewriteSuccess is { } rewrite && status is >= 200 and < 300)
        {
            proxyResponse.Content = rewrite(proxyResponse.Content);
            httpContext.Response.ContentLength = null;
        }
        var mediaType = proxyResponse.Content.Headers.ContentType?.MediaType;
        IResponseTap tap = mediaType is "text/event-stream" ? new SseUsageTap() : new JsonUsageTap();
        exchange.Answer = new UpstreamAnswer(status, null, tap);
        proxyResponse.Content = new TappedContent(proxyResponse.Content, tap);
        return true;
    }
}

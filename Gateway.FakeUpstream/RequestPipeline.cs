using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;

namespace Gateway.FakeUpstream;

/// <summary>
/// The steps every fake endpoint runs before answering, in the order the brief fixes:
/// request id and rate-limit headers → read and record the body → resolve the fault (header first,
/// else the queue for <c>/v1/</c> paths) → apply early faults → authenticate. No global middleware,
/// so mapping the fake onto a shared app does not touch that app's other routes.
/// </summary>
internal sealed class RequestPipeline(FakeUpstreamState state, CancellationToken stopping)
{
    /// <summary>Returns null when the response is already decided (fault, bad request, 401).</summary>
    /// <param name="dialect">Whose error shape and rate-limit headers the answers use (the OpenAI endpoint speaks OpenAI's).</param>
    public async Task<AdmittedRequest?> BeginAsync(HttpContext ctx, bool authenticate, WireDialect dialect = WireDialect.Anthropic)
    {
        var options = state.Options;
        var now = state.Time.GetUtcNow();
        var response = ctx.Response;
        response.Headers[FakeUpstreamHeaders.RequestId] = FakeIds.Request();
        var presented = ApiKeyAuth.Presented(ctx.Request);
        WriteRateLimits(response, dialect, state.RateLimiter.Peek(presented, options.RequestsPerMinutePerKey, now), now);

        byte[] body;
        try
        {
            body = await ReadBodyAsync(ctx);
        }
        catch (BadHttpRequestException e)
        {
            state.Recorder.Record(ctx, [], now, options.MaxRecordedRequests);
            await ErrorAsync(ctx, dialect, e.StatusCode == 413 ? 413 : 400, e.Message);
            return null;
        }
        state.Recorder.Record(ctx, body, now, options.MaxRecordedRequests);

        var fault = FaultPlan.None;
        var header = ctx.Request.Headers[FakeUpstreamHeaders.Fault];
        if (!StringValues.IsNullOrEmpty(header))
        {
            if (!FaultPlan.TryParse(header.ToString(), out fault, out var error))
            {
                await ErrorAsync(ctx, dialect, 400, $"{FakeUpstreamHeaders.Fault}: {error}");
                return null;
            }
        }
        else if (ctx.Request.Path.StartsWithSegments("/v1") || ctx.Request.Path.StartsWithSegments("/model"))
        {
            // Queued faults only hit API calls, so a HEAD / probe does not use one up.
            state.Faults.TryDequeue(out fault);
        }

        if (!await ApplyEarlyFaultAsync(ctx, fault, now, dialect))
        {
            return null;
        }

        string? key = null;
        if (authenticate)
        {
            if (!ApiKeyAuth.TryAuthenticate(ctx.Request, options.ApiKeys, out var accepted, out var error))
            {
                await ErrorAsync(ctx, dialect, 401, error);
                return null;
            }
            key = accepted;
        }

        return new AdmittedRequest(body, key, fault, now);
    }

    /// <summary>Applies the faults that strike before the reply; false when the request is finished.</summary>
    private async Task<bool> ApplyEarlyFaultAsync(HttpContext ctx, FaultPlan fault, DateTimeOffset now, WireDialect dialect)
    {
        if (fault.FirstByteDelayMs > 0 && !await WaitAsync(ctx, fault.FirstByteDelayMs))
        {
            return false;
        }
        if (fault.TrickleDelayMs is { } pause)
        {
            TrickleStream.Install(ctx, pause, stopping);
        }

        switch (fault.Kind)
        {
            case FaultKind.Status:
                if (fault.StatusCode == 429)
                {
                    var options = state.Options;
                    var limit = options.RequestsPerMinutePerKey > 0 ? options.RequestsPerMinutePerKey : KeyRateLimiter.UnlimitedAdvertisedLimit;
                    WriteRateLimits(ctx.Response, dialect, new RateLimitWindow(limit, fault.RoomLeft ? limit : 0, now.AddSeconds(1)), now);
                    ctx.Response.Headers[FakeUpstreamHeaders.RetryAfter] = "1";
                    if (dialect == WireDialect.OpenAi)
                    {
                        await OpenAi.OpenAiErrors.RateLimitedAsync(ctx, limit);
                    }
                    else if (dialect == WireDialect.Vertex)
                    {
                        await Vertex.GoogleErrors.WriteAsync(ctx, 429, Vertex.GoogleErrors.QuotaMessage);
                    }
                    else if (dialect == WireDialect.Bedrock)
                    {
                        await Bedrock.BedrockErrors.WriteAsync(ctx, 429);
                    }
                    else
                    {
                        await AnthropicErrors.WriteAsync(ctx, 429, string.Format(System.Globalization.CultureInfo.InvariantCulture, AnthropicErrors.RateLimitMessage, limit));
                    }
                }
                else
                {
                    await ErrorAsync(ctx, dialect, fault.StatusCode, AnthropicErrors.Describe(fault.StatusCode).Message);
                }
                return false;

            case FaultKind.Reset:
                SelfAbort.Abort(ctx);
                return false;

            case FaultKind.Hang:
                await WaitAsync(ctx, Timeout.Infinite);
                // Only reached when the server stops (a client giving up throws): drop the connection.
                SelfAbort.Abort(ctx);
                return false;

            default:
                return true;
        }
    }

    private static Task ErrorAsync(HttpContext ctx, WireDialect dialect, int status, string message) => dialect switch
    {
        WireDialect.OpenAi => OpenAi.OpenAiErrors.WriteAsync(ctx, status, message),
        WireDialect.Vertex => Vertex.GoogleErrors.WriteAsync(ctx, status, message),
        WireDialect.Bedrock => Bedrock.BedrockErrors.WriteAsync(ctx, status),
        _ => AnthropicErrors.WriteAsync(ctx, status, message),
    };

    private static void WriteRateLimits(HttpResponse response, WireDialect dialect, RateLimitWindow requests, DateTimeOffset now)
    {
        if (dialect == WireDialect.OpenAi)
        {
            OpenAi.OpenAiRateLimitHeaders.Write(response, requests, now);
        }
        else if (dialect == WireDialect.Vertex)
        {
            // Vertex AI sends no rate-limit headers.
        }
        else
        {
            AnthropicRateLimitHeaders.Write(response, requests, now);
        }
    }

    /// <summary>
    /// Waits; false if the server is stopping. A client that leaves surfaces as
    /// OperationCanceledException, so the endpoint guard counts it as an aborted request.
    /// </summary>
    private async Task<bool> WaitAsync(HttpContext ctx, int milliseconds)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, stopping);
        try
        {
            await Task.Delay(milliseconds, linked.Token);
            return true;
        }
        catch (OperationCanceledException) when (!ctx.RequestAborted.IsCancellationRequested)
        {
            return false;
        }
    }

    private static async Task<byte[]> ReadBodyAsync(HttpContext ctx)
    {
        var request = ctx.Request;
        if (ctx.Features.Get<IHttpRequestBodyDetectionFeature>() is { CanHaveBody: false })
        {
            return [];
        }

        if (request.ContentLength is long length)
        {
            // Check the limit before allocating: Kestrel would only refuse on the first read.
            if (ctx.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize is long max && length > max)
            {
                throw new BadHttpRequestException("Request exceeds the maximum allowed number of bytes.", 413);
            }
            var exact = new byte[length];
            await request.Body.ReadExactlyAsync(exact, ctx.RequestAborted);
            return exact;
        }

        using var copy = new MemoryStream();
        await request.Body.CopyToAsync(copy, ctx.RequestAborted);
        return copy.ToArray();
    }
}

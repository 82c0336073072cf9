using System.Globalization;

namespace Gateway.FakeUpstream.OpenAi;

/// <summary>
/// <c>POST /v1/chat/completions</c>: an OpenAI-compatible upstream for testing the gateway's
/// translation. Authenticates like OpenAI (<c>Authorization: Bearer</c> only), validates strictly
/// (<see cref="ChatRequest"/>), shares the per-key request bucket and the fault queue with the
/// Anthropic endpoints, and answers deterministically (<see cref="ChatToolChoice"/>).
/// </summary>
internal sealed class ChatCompletionsEndpoint(FakeUpstreamState state)
{
    public async Task CreateAsync(HttpContext ctx, AdmittedRequest admitted)
    {
        var options = state.Options;
        var key = Bearer(ctx.Request);
        if (key is null || (options.ApiKeys.Length > 0 && !options.ApiKeys.Contains(key)))
        {
            await OpenAiErrors.WriteAsync(ctx, 401, "invalid_request_error", "invalid_api_key",
                key is null ? "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
                    : "Incorrect API key provided.");
            return;
        }
        using var request = ChatRequest.Parse(admitted.Body, out var error);
        if (request is null)
        {
            await OpenAiErrors.WriteAsync(ctx, 400, error);
            return;
        }
        if (!await AdmitAsync(ctx, key, admitted.At, options))
        {
            return;
        }

        var reply = ChatReply.Create(options, request);
        if (request.Stream)
        {
            await ChatReplyWriter.StreamAsync(ctx, options, reply, request.IncludeUsage, admitted.Fault);
            return;
        }
        var body = ChatReplyWriter.Completion(reply);
        switch (admitted.Fault.Kind)
        {
            case FaultKind.ErrorMidStream:
                await OpenAiErrors.WriteAsync(ctx, 500, "The server had an error while processing your request. Sorry about that!");
                return;
            case FaultKind.ResetMidStream:
                ctx.Response.StatusCode = 200;
                ctx.Response.ContentType = "application/json";
                ctx.Response.ContentLength = body.Length;
                await ctx.Response.Body.WriteAsync(body[..(body.Length / 2)], ctx.RequestAborted);
                await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
                await Task.Delay(FaultPlan.DrainBeforeResetMs, ctx.RequestAborted);
                SelfAbort.Abort(ctx);
                return;
            default:
                await JsonResponse.WriteAsync(ctx, 200, body);
                return;
        }
    }

    private async Task<bool> AdmitAsync(HttpContext ctx, string key, DateTimeOffset at, FakeUpstreamOptions options)
    {
        var perMinute = options.RequestsPerMinutePerKey;
        if (perMinute <= 0)
        {
            return true;
        }
        var allowed = state.RateLimiter.TryAcquire(key, perMinute, at, out var snapshot, out var retryAfter);
        OpenAiRateLimitHeaders.Write(ctx.Response, snapshot, at);
        if (allowed)
        {
            return true;
        }
        ctx.Response.Headers[FakeUpstreamHeaders.RetryAfter] = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        await OpenAiErrors.RateLimitedAsync(ctx, perMinute);
        return false;
    }

    private static string? Bearer(HttpRequest request)
    {
        var value = (string?)request.Headers[FakeUpstreamHeaders.Authorization];
        const string scheme = "Bearer ";
        return value is not null && value.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) && value.Length > scheme.Length
            ? value[scheme.Length..].Trim()
            : null;
    }
}

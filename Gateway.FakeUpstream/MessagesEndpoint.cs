using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace Gateway.FakeUpstream;

/// <summary><c>POST /v1/messages</c> and <c>POST /v1/messages/count_tokens</c>.</summary>
internal sealed class MessagesEndpoint(FakeUpstreamState state)
{
    public async Task CreateAsync(HttpContext ctx, AdmittedRequest admitted)
    {
        using var request = await ParseOrRefuseAsync(ctx, admitted, requireMaxTokens: true);
        if (request is null)
        {
            return;
        }

        var options = state.Options;
        if (!await AdmitAsync(ctx, admitted, options))
        {
            return;
        }

        var cache = request.CacheMarkers > 0
            ? state.PromptCache.Apply(request.Root, request.Model, options.MinCacheablePrefixTokens, admitted.At)
            : default;
        var input = Math.Max(0, TokenEstimate.FromBytes(request.BodyLength) - cache.Creation - cache.Read);
        var plan = ReplyPlan.Create(options, request.MaxTokens, ToolChoice.Choose(request.Root));
        var usage = new ReplyUsage(input, cache, plan.OutputTokens);
        var id = FakeIds.Message();

        if (request.Stream)
        {
            await SseReplyWriter.WriteAsync(ctx, options, id, request.Model, plan, usage, admitted.Fault);
        }
        else
        {
            await JsonResponse.WriteReplyAsync(ctx, MessageJson.Build(id, request.Model, plan, usage, options), admitted.Fault);
        }
    }

    public static async Task CountTokensAsync(HttpContext ctx, AdmittedRequest admitted)
    {
        using var request = await ParseOrRefuseAsync(ctx, admitted, requireMaxTokens: false);
        if (request is null)
        {
            return;
        }

        var buffer = new ArrayBufferWriter<byte>(32);
        using (var json = new Utf8JsonWriter(buffer, FakeJson.Options))
        {
            json.WriteStartObject();
            json.WriteNumber("input_tokens"u8, TokenEstimate.FromBytes(request.BodyLength));
            json.WriteEndObject();
        }
        await JsonResponse.WriteReplyAsync(ctx, buffer.WrittenMemory, admitted.Fault);
    }

    /// <summary>
    /// The request, or null once its 400 went out in Anthropic's words: bad JSON or fields, or more cache
    /// breakpoints than Anthropic accepts.
    /// </summary>
    private static async Task<MessagesRequest?> ParseOrRefuseAsync(HttpContext ctx, AdmittedRequest admitted, bool requireMaxTokens)
    {
        var request = MessagesRequest.Parse(admitted.Body, requireMaxTokens, out var error);
        if (request is null)
        {
            await AnthropicErrors.WriteAsync(ctx, 400, error);
            return null;
        }
        if (request.CacheMarkers > PromptCacheSimulator.MaxBreakpoints)
        {
            var markers = request.CacheMarkers;
            request.Dispose();
            await AnthropicErrors.WriteAsync(ctx, 400, TooManyBreakpoints(markers));
            return null;
        }
        return request;
    }

    /// <summary>Anthropic's exact wording: gateways that inject breakpoints are tested against it.</summary>
    public static string TooManyBreakpoints(int found) =>
        $"A maximum of {PromptCacheSimulator.MaxBreakpoints} blocks with cache_control may be provided. Found {found}.";

    /// <summary>Takes one request from the key's bucket; answers 429 when it is empty.</summary>
    private async Task<bool> AdmitAsync(HttpContext ctx, AdmittedRequest admitted, FakeUpstreamOptions options)
    {
        var perMinute = options.RequestsPerMinutePerKey;
        if (perMinute <= 0 || admitted.Key is null)
        {
            return true;
        }

        var allowed = state.RateLimiter.TryAcquire(admitted.Key, perMinute, admitted.At, out var snapshot, out var retryAfter);
        AnthropicRateLimitHeaders.Write(ctx.Response, snapshot, admitted.At);
        if (allowed)
        {
            return true;
        }

        state.CountRateLimited();
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        ctx.Response.Headers[FakeUpstreamHeaders.RetryAfter] = seconds.ToString(CultureInfo.InvariantCulture);
        await AnthropicErrors.WriteAsync(ctx, 429, string.Format(CultureInfo.InvariantCulture, AnthropicErrors.RateLimitMessage, perMinute));
        return false;
    }
}

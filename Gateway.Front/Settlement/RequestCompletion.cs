using System.Diagnostics;
using Gateway.Front.Audit;
using Gateway.Front.Envelope;
using Gateway.Front.Errors;
using Gateway.Front.Forwarding;
using Gateway.Front.Metrics;
using Gateway.Grains.Abstractions;
using Gateway.Grains.Pricing;
using Gateway.Grains.Text;

namespace Gateway.Front.Settlement;

/// <summary>
/// The last step of every forwarded Messages request, whatever happened to its response: the usage
/// the tap observed (nothing, if the upstream failed or the stream was cut before usage arrived) is
/// priced, queued for the key's and session's grains (trueing up the admission reservation), and
/// written to the audit log. Nothing here waits on the database or a grain.
/// </summary>
public sealed class RequestCompletion(PriceTable prices, IAuditSink audit, TimeProvider time, IServiceProvider services)
{
    private readonly UsageSettler? _settler = services.GetService<UsageSettler>();
    private readonly Admission.SessionCheck? _sessions = services.GetService<Admission.SessionCheck>();

    public const string AgentIdHeader = "x-claude-code-agent-id";
    public const string ParentAgentIdHeader = "x-claude-code-parent-agent-id";

    /// <summary>Headers are the client's free text: kept for the audit row cleaned and capped, never refused.</summary>
    private const int MaxUserAgentLength = 256;

    public async ValueTask CompleteAsync(HttpContext context, string endpoint, RequestEnvelope envelope, ProxyExchange exchange,
        KeyDescriptor? key, Reservation? reservation)
    {
        var usage = exchange.Usage;
        var model = usage?.ServedModel ?? envelope.Model;
        var tokens = usage?.Tokens ?? default;
        var cost = prices.Cost(model, tokens);
        var savings = prices.CacheSavings(model, tokens);
        var now = time.GetUtcNow();
        var requestId = context.Response.Headers[GatewayError.RequestIdHeader].ToString() is { Length: > 0 } id ? id : "gw_" + context.TraceIdentifier;

        if (_settler is null)
        {
            reservation?.Budget?.Release();
        }
        if (key is not null && reservation is { } reserved && _settler is not null)
        {
            await _settler.EnqueueAsync(new PendingCharge(key.KeyId, new UsageCharge
            {
                RequestId = requestId,
                Model = model,
                ReservedInputTokens = reserved.InputTokens,
                ReservedOutputTokens = reserved.OutputTokens,
                Tokens = tokens,
                SessionId = envelope.SessionId,
                ToolCalls = usage?.ToolCalls ?? 0,
                At = now,
                // The hold goes to the grain with the charge (the settler names its activation when it sends it).
                ReservedUsd = reserved.Budget?.Usd ?? 0,
                FrontId = reserved.Budget?.FrontId,
            }, cost, key.TeamId, savings) { Hold = reserved.Budget });
            if (envelope.SessionId is { } session)
            {
                _sessions?.Settled(session, key.KeyId, cost);
            }
        }

        var latency = Stopwatch.GetElapsedTime(exchange.StartTimestamp);
        TimeSpan? firstByte = usage?.FirstByteTimestamp is > 0 and var first ? Stopwatch.GetElapsedTime(exchange.StartTimestamp, first) : null;
        FrontMetrics.RequestCompleted(endpoint, model, key?.TeamId ?? "", context.Response.StatusCode, envelope.Stream,
            latency.TotalSeconds, firstByte?.TotalSeconds, tokens.Input, tokens.Output, tokens.CacheCreation, tokens.CacheRead, cost, savings);

        var headers = context.Request.Headers;
        audit.Write(new AuditRecord
        {
            At = now,
            RequestId = requestId,
            KeyId = key?.KeyId,
            TeamId = key?.TeamId,
            BillingTag = key?.BillingTag,
            SessionId = envelope.SessionId,
            AgentId = BoundedText.Clean(Header(headers, AgentIdHeader), BoundedText.MaxNameLength),
            ParentAgentId = BoundedText.Clean(Header(headers, ParentAgentIdHeader), BoundedText.MaxNameLength),
            ModelRequested = envelope.Model,
            ModelServed = usage?.ServedModel,
            Provider = exchange.Provider ?? "anthropic",
            UpstreamKeyId = exchange.Upstream?.Id,
            Endpoint = endpoint,
            Status = context.Response.StatusCode,
            ErrorType = usage?.ErrorType ?? ErrorTypeOf(context.Response.StatusCode),
            Stream = envelope.Stream,
            Tokens = tokens,
            CostUsd = cost,
            CacheSavingsUsd = savings,
            LatencyMs = latency.TotalMilliseconds,
            TimeToFirstByteMs = firstByte?.TotalMilliseconds,
            ToolCallCount = usage?.ToolCalls ?? 0,
            ToolNames = usage?.ToolNames.ToArray() ?? [],
            CacheBreakpoints = envelope.CacheBreakpoints,
            PromptPrefixHash = envelope.PromptPrefixHash,
            RequestBytes = envelope.BodyBytes,
            UserAgent = BoundedText.Clean(Header(headers, "User-Agent"), MaxUserAgentLength),
            Attempts = exchange.Attempts,
        });
    }

    private static string? Header(IHeaderDictionary headers, string name) =>
        headers.TryGetValue(name, out var value) && value.Count > 0 ? value[0] : null;

    /// <summary>The error type for a status when no body said it (the gateway's own 502/503/504, a cut connection).</summary>
    private static string? ErrorTypeOf(int status) => status switch
    {
        < 400 => null,
        400 => AnthropicErrorTypes.InvalidRequest,
        401 => AnthropicErrorTypes.Authentication,
        403 => AnthropicErrorTypes.Permission,
        404 => AnthropicErrorTypes.NotFound,
        413 => AnthropicErrorTypes.RequestTooLarge,
        429 => AnthropicErrorTypes.RateLimit,
        504 => AnthropicErrorTypes.Timeout,
        503 or 529 => AnthropicErrorTypes.Overloaded,
        _ => AnthropicErrorTypes.Api,
    };
}

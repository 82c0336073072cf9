using Gateway.Front.Envelope;
using Gateway.Front.Errors;
using Gateway.Front.Forwarding;
using Gateway.Front.Settlement;
using Gateway.Grains.Abstractions;
using Gateway.Grains.Storage;
using Gateway.Grains.Text;

namespace Gateway.Front.Audit;

/// <summary>
/// Completion's audit step: one row per Messages request (whatever its outcome) to the <see cref="IAuditSink"/>,
/// which is the <see cref="NullAuditSink"/> when the audit log is off. The sink only queues; nothing here waits on the database.
/// </summary>
public sealed class RequestAudit(IAuditSink sink)
{
    public const string AgentIdHeader = "x-claude-code-agent-id";
    public const string ParentAgentIdHeader = "x-claude-code-parent-agent-id";

    /// <summary>Headers are the client's free text: kept for the audit row cleaned and capped, never refused.</summary>
    private const int MaxUserAgentLength = 256;

    public void Write(HttpContext context, string endpoint, RequestEnvelope envelope, KeyDescriptor? key, string requestId, DateTimeOffset at,
        PricedUsage priced, ForwardOutcome forwarded, TimeSpan latency, TimeSpan? firstByte)
    {
        var headers = context.Request.Headers;
        var usage = forwarded.Usage;
        sink.Write(new AuditRecord
        {
            At = at,
            RequestId = requestId,
            KeyId = key?.KeyId,
            TeamId = key?.TeamId,
            BillingTag = key?.BillingTag,
            SessionId = envelope.SessionId,
            UserId = UserKeys.IsUserKeyId(key?.KeyId) ? key!.KeyId : null,
            AgentId = BoundedText.Clean(Header(headers, AgentIdHeader), BoundedText.MaxNameLength),
            ParentAgentId = BoundedText.Clean(Header(headers, ParentAgentIdHeader), BoundedText.MaxNameLength),
            ModelRequested = envelope.Model,
            ModelServed = usage?.ServedModel,
            Provider = forwarded.Provider,
            UpstreamKeyId = forwarded.UpstreamKeyId,
            Endpoint = endpoint,
            Status = context.Response.StatusCode,
            ErrorType = usage?.ErrorType ?? ErrorTypeOf(context.Response.StatusCode),
            Stream = envelope.Stream,
            Tokens = priced.Tokens,
            CostUsd = priced.CostUsd,
            CacheSavingsUsd = priced.CacheSavingsUsd,
            LatencyMs = latency.TotalMilliseconds,
            TimeToFirstByteMs = firstByte?.TotalMilliseconds,
            ToolCallCount = priced.ToolCalls,
            ToolNames = usage?.ToolNames.ToArray() ?? [],
            CacheBreakpoints = envelope.CacheBreakpoints,
            PromptPrefixHash = envelope.PromptPrefixHash,
            RequestBytes = envelope.BodyBytes,
            UserAgent = BoundedText.Clean(Header(headers, "User-Agent"), MaxUserAgentLength),
            Attempts = forwarded.Attempts,
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

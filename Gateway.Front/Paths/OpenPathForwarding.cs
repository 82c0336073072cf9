using System.Diagnostics;
using Gateway.Front.Audit;
using Gateway.Front.Errors;
using Gateway.Front.Forwarding;
using Gateway.Front.Metrics;
using Gateway.Grains.Abstractions;

namespace Gateway.Front.Paths;

/// <summary>
/// Forwards a request on a path an administrator opened for its key (<see cref="KeyDescriptor.OpenPaths"/>):
/// as it came, body streamed, and never metered (no admission, no charge; the gateway cannot know what
/// such a call costs or whose data it touches). It still leaves a trace: an audit row with endpoint
/// <see cref="Endpoint"/>, zero tokens and zero cost, and the request in <c>gateway_requests_total</c>.
/// </summary>
public static class OpenPathForwarding
{
    public const string Endpoint = "passthrough";

    public static async Task ForwardAsync(HttpContext context, UpstreamForwarder forwarder, IAuditSink audit, KeyDescriptor key)
    {
        using var exchange = new ProxyExchange { Endpoint = Endpoint };
        ForwardOutcome? forwarded = null;
        try
        {
            forwarded = await forwarder.ForwardAsync(context, exchange);
        }
        finally
        {
            Record(context, forwarded ?? exchange.Outcome, audit, key);
        }
    }

    private static void Record(HttpContext context, ForwardOutcome forwarded, IAuditSink audit, KeyDescriptor key)
    {
        var status = context.Response.StatusCode;
        var latency = Stopwatch.GetElapsedTime(forwarded.StartTimestamp);
        FrontMetrics.RequestCompleted(Endpoint, "", key.TeamId, status, false, latency.TotalSeconds, null, 0, 0, 0, 0, 0, 0);
        var headers = context.Request.Headers;
        var agent = headers.UserAgent.Count > 0 ? headers.UserAgent[0] : null;
        audit.Write(new AuditRecord
        {
            At = DateTimeOffset.UtcNow,
            RequestId = context.Response.Headers[GatewayError.RequestIdHeader].ToString() is { Length: > 0 } id ? id : "gw_" + context.TraceIdentifier,
            KeyId = key.KeyId,
            TeamId = key.TeamId,
            BillingTag = key.BillingTag,
            // No model: the gateway does not read these bodies. The path is not stored (it may carry ids).
            ModelRequested = "",
            Provider = forwarded.Provider,
            UpstreamKeyId = forwarded.UpstreamKeyId,
            Endpoint = Endpoint,
            Status = status,
            ErrorType = status >= 400 ? forwarded.Usage?.ErrorType : null,
            LatencyMs = latency.TotalMilliseconds,
            RequestBytes = (int)Math.Min(int.MaxValue, context.Request.ContentLength ?? 0),
            UserAgent = agent is { Length: > 256 } ? agent[..256] : agent,
            Attempts = forwarded.Attempts,
        });
    }
}

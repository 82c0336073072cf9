using System.Diagnostics;
using Gateway.Front.Admission;
using Gateway.Front.Audit;
using Gateway.Front.Envelope;
using Gateway.Front.Errors;
using Gateway.Front.Forwarding;
using Gateway.Front.Metrics;
using Gateway.Front.Settlement;
using Gateway.Grains.Abstractions;
using Gateway.Grains.Pricing;

namespace Gateway.Front.Pipeline;

/// <summary>
/// The last step of the <see cref="MessagesPipeline"/>, whatever happened to the response: the usage the tap
/// observed is priced (<see cref="PricedUsage"/>), then, in order, settled against the reservation
/// (<see cref="IRequestSettlement"/>), counted toward the session on this front (<see cref="ISessionSettlements"/>),
/// metered (<see cref="FrontMetrics"/>) and audited (<see cref="RequestAudit"/>). Nothing here waits on the
/// database or a grain.
/// </summary>
public sealed class RequestCompletion(PriceTable prices, IRequestSettlement settlement, ISessionSettlements sessions, RequestAudit audit,
    TimeProvider time)
{
    public async ValueTask CompleteAsync(HttpContext context, string endpoint, RequestEnvelope envelope, KeyDescriptor? key,
        Reservation? reservation, ForwardOutcome forwarded)
    {
        var priced = PricedUsage.Of(forwarded.Usage, envelope.Model, prices);
        var now = time.GetUtcNow();
        var requestId = context.Response.Headers[GatewayError.RequestIdHeader].ToString() is { Length: > 0 } id ? id : "gw_" + context.TraceIdentifier;

        await settlement.SettleAsync(key, reservation, requestId, envelope.SessionId, priced, now);
        if (key is not null && reservation is not null && envelope.SessionId is { } session)
        {
            sessions.Settled(session, key.KeyId, priced.CostUsd);
        }

        var latency = Stopwatch.GetElapsedTime(forwarded.StartTimestamp);
        TimeSpan? firstByte = forwarded.Usage?.FirstByteTimestamp is > 0 and var first ? Stopwatch.GetElapsedTime(forwarded.StartTimestamp, first) : null;
        FrontMetrics.RequestCompleted(endpoint, priced.Model, key?.TeamId ?? "", context.Response.StatusCode, envelope.Stream,
            latency.TotalSeconds, firstByte?.TotalSeconds, priced.Tokens.Input, priced.Tokens.Output, priced.Tokens.CacheCreation,
            priced.Tokens.CacheRead, priced.CostUsd, priced.CacheSavingsUsd);

        audit.Write(context, endpoint, envelope, key, requestId, now, priced, forwarded, latency, firstByte);
    }
}

using Gateway.Front.Envelope;
using Gateway.Front.Errors;
using Gateway.Front.Forwarding;
using Gateway.Grains.Abstractions;
using Gateway.Grains.Pricing;

namespace Gateway.Front.Settlement;

/// <summary>
/// The last step of an admitted request: the usage the tap observed (nothing, if the upstream failed
/// or the stream was cut before usage arrived) is priced and queued for the grains. Runs whatever
/// happened to the response, so every reservation is trued up.
/// </summary>
public sealed class RequestSettlement(UsageSettler settler, PriceTable prices, TimeProvider time)
{
    public ValueTask SettleAsync(HttpContext context, Reservation reservation, RequestEnvelope envelope, ProxyExchange exchange)
    {
        var usage = exchange.Usage;
        var model = usage?.ServedModel ?? envelope.Model;
        long input = usage?.InputTokens ?? 0, output = usage?.OutputTokens ?? 0;
        long cacheWrite = usage?.CacheCreationInputTokens ?? 0, cacheRead = usage?.CacheReadInputTokens ?? 0;
        var requestId = context.Response.Headers[GatewayError.RequestIdHeader].ToString();
        var charge = new UsageCharge
        {
            RequestId = requestId.Length > 0 ? requestId : context.TraceIdentifier,
            Model = model,
            ReservedInputTokens = reservation.InputTokens,
            ReservedOutputTokens = reservation.OutputTokens,
            InputTokens = input,
            OutputTokens = output,
            CacheCreationInputTokens = cacheWrite,
            CacheReadInputTokens = cacheRead,
            SessionId = envelope.SessionId,
            ToolCalls = usage?.ToolNames.Count ?? 0,
            At = time.GetUtcNow(),
        };
        var cost = prices.Cost(model, input, output, cacheWrite, cacheRead);
        return settler.EnqueueAsync(new PendingCharge(reservation.KeyId, charge, cost));
    }
}

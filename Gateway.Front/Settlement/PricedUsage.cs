using Gateway.Front.Streaming;
using Gateway.Grains.Pricing;

namespace Gateway.Front.Settlement;

/// <summary>
/// A finished request's usage as the tap observed it (zeros when nothing was observed: the upstream
/// failed, or the stream was cut before usage arrived), under the model it was served as, and priced.
/// </summary>
public readonly record struct PricedUsage(string Model, long InputTokens, long OutputTokens, long CacheWriteTokens,
    long CacheWrite1hTokens, long CacheReadTokens, int ToolCalls, decimal CostUsd, decimal CacheSavingsUsd)
{
    /// <summary>Prices <paramref name="usage"/> at the served model, or at <paramref name="requestedModel"/> when the response named none.</summary>
    public static PricedUsage Of(ObservedUsage? usage, string requestedModel, PriceTable prices)
    {
        var model = usage?.ServedModel ?? requestedModel;
        long input = usage?.InputTokens ?? 0, output = usage?.OutputTokens ?? 0;
        long cacheWrite = usage?.CacheCreationInputTokens ?? 0, cacheRead = usage?.CacheReadInputTokens ?? 0;
        var cacheWrite1h = usage?.CacheCreation1hInputTokens ?? 0;
        var cost = prices.Cost(model, input, output, cacheWrite, cacheRead, cacheWrite1h);
        var savings = prices.CacheSavings(model, cacheWrite, cacheRead, cacheWrite1h);
        return new PricedUsage(model, input, output, cacheWrite, cacheWrite1h, cacheRead, usage?.ToolCalls ?? 0, cost, savings);
    }
}

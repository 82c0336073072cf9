using Gateway.Front.Streaming;
using Gateway.Grains.Abstractions;
using Gateway.Grains.Pricing;

namespace Gateway.Front.Settlement;

/// <summary>
/// A finished request's usage as the tap observed it (zeros when nothing was observed: the upstream
/// failed, or the stream was cut before usage arrived), under the model it was served as, and priced.
/// </summary>
public readonly record struct PricedUsage(string Model, TokenUsage Tokens, int ToolCalls, decimal CostUsd, decimal CacheSavingsUsd)
{
    /// <summary>Prices <paramref name="usage"/> at the served model, or at <paramref name="requestedModel"/> when the response named none.</summary>
    public static PricedUsage Of(ObservedUsage? usage, string requestedModel, PriceTable prices)
    {
        var model = usage?.ServedModel ?? requestedModel;
        // A cloud provider may name the model by its own id (us.anthropic.claude-…-v1:0): priced as Anthropic's name.
        if (Bedrock.Provider.BedrockModelIds.IsBedrockForm(model))
        {
            model = Bedrock.Provider.BedrockModelIds.FromBedrock(model, []);
        }
        var tokens = usage?.Tokens ?? default;
        return new PricedUsage(model, tokens, usage?.ToolCalls ?? 0, prices.Cost(model, tokens), prices.CacheSavings(model, tokens));
    }
}

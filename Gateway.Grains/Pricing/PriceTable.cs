using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Gateway.Grains.Pricing;

/// <summary>Prices a request's usage. Lookups are cached per model name (a handful of names in practice).</summary>
public sealed class PriceTable(IOptions<PricingOptions> options)
{
    private const decimal PerToken = 1m / 1_000_000m;
    private readonly PricingOptions _options = options.Value;
    private readonly ConcurrentDictionary<string, ModelPrice> _byModel = new(StringComparer.OrdinalIgnoreCase);

    public ModelPrice For(string model) => _byModel.GetOrAdd(model, static (name, o) =>
        o.Models.FirstOrDefault(p => ModelPattern.Matches(p.Model, name))
        ?? PricingOptions.BuiltIn.FirstOrDefault(p => ModelPattern.Matches(p.Model, name))
        ?? o.Default, _options);

    /// <summary>
    /// USD saved by prompt caching versus the same tokens sent uncached: reads cost 0.1× instead of
    /// 1× input, writes cost 1.25× (or 2× for 1 h) instead of 1×. Negative when writes were not reused.
    /// </summary>
    public decimal CacheSavings(string model, long cacheWriteTokens, long cacheReadTokens)
    {
        var price = For(model);
        return (cacheReadTokens * (price.InputPerMTok - price.CacheRead)
              - cacheWriteTokens * (price.CacheWrite - price.InputPerMTok)) * PerToken;
    }

    public decimal Cost(string model, long inputTokens, long outputTokens, long cacheWriteTokens, long cacheReadTokens)
    {
        var price = For(model);
        return (inputTokens * price.InputPerMTok
              + outputTokens * price.OutputPerMTok
              + cacheWriteTokens * price.CacheWrite
              + cacheReadTokens * price.CacheRead) * PerToken;
    }
}

using System.Collections.Concurrent;
using Gateway.Grains.Abstractions;
using Microsoft.Extensions.Options;

namespace Gateway.Grains.Pricing;

/// <summary>
/// Prices a request's usage. Lookups are cached per model name (a handful of names in practice); the
/// cache holds at most <see cref="MaxCachedModels"/> names, since model strings come from clients and
/// upstream replies: past it a name is priced by a scan of the table, not kept, so a million distinct
/// names cannot grow memory.
/// </summary>
public sealed class PriceTable(IOptions<PricingOptions> options)
{
    public const int MaxCachedModels = 1024;

    private const decimal PerToken = 1m / 1_000_000m;
    private readonly PricingOptions _options = options.Value;
    private readonly ConcurrentDictionary<string, ModelPrice> _byModel = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Model names cached (test hook).</summary>
    public int CachedModels => _byModel.Count;

    public ModelPrice For(string model)
    {
        if (_byModel.TryGetValue(model, out var price))
        {
            return price;
        }
        price = Lookup(model, _options);
        // Count is a lock-taking snapshot, but only paid on a miss; a race may pass the bound by a few names.
        if (_byModel.Count < MaxCachedModels)
        {
            _byModel.TryAdd(model, price);
        }
        return price;
    }

    private static ModelPrice Lookup(string name, PricingOptions o) =>
        o.Models.FirstOrDefault(p => ModelPattern.Matches(p.Model, name))
        ?? PricingOptions.BuiltIn.FirstOrDefault(p => ModelPattern.Matches(p.Model, name))
        ?? o.Default;

    /// <summary>
    /// USD saved by prompt caching versus the same tokens sent uncached: reads cost 0.1× instead of
    /// 1× input, writes cost 1.25× (or 2× for 1 h) instead of 1×. Negative when writes were not reused.
    /// <paramref name="cacheWrite1hTokens"/> is the part of <paramref name="cacheWriteTokens"/> written for an hour.
    /// </summary>
    public decimal CacheSavings(string model, long cacheWriteTokens, long cacheReadTokens, long cacheWrite1hTokens = 0)
    {
        var price = For(model);
        var (write5m, write1h) = Split(cacheWriteTokens, cacheWrite1hTokens);
        return (cacheReadTokens * (price.InputPerMTok - price.CacheRead)
              - write5m * (price.CacheWrite - price.InputPerMTok)
              - write1h * (price.CacheWrite1h - price.InputPerMTok)) * PerToken;
    }

    /// <summary>
    /// USD for one request's usage; <paramref name="cacheWrite1hTokens"/> is the part of
    /// <paramref name="cacheWriteTokens"/> written for an hour (Anthropic's <c>usage.cache_creation.ephemeral_1h_input_tokens</c>),
    /// priced at the 1-hour rate (2× input) instead of the 5-minute one (1.25×).
    /// </summary>
    public decimal Cost(string model, long inputTokens, long outputTokens, long cacheWriteTokens, long cacheReadTokens, long cacheWrite1hTokens = 0)
    {
        var price = For(model);
        var (write5m, write1h) = Split(cacheWriteTokens, cacheWrite1hTokens);
        return (inputTokens * price.InputPerMTok
              + outputTokens * price.OutputPerMTok
              + write5m * price.CacheWrite
              + write1h * price.CacheWrite1h
              + cacheReadTokens * price.CacheRead) * PerToken;
    }

    /// <summary>USD for <paramref name="tokens"/> (see the overload taking the counts one by one).</summary>
    public decimal Cost(string model, TokenUsage tokens) =>
        Cost(model, tokens.Input, tokens.Output, tokens.CacheCreation, tokens.CacheRead, tokens.CacheCreation1h);

    /// <summary>What prompt caching saved on <paramref name="tokens"/> (see the overload taking the counts one by one).</summary>
    public decimal CacheSavings(string model, TokenUsage tokens) =>
        CacheSavings(model, tokens.CacheCreation, tokens.CacheRead, tokens.CacheCreation1h);

    /// <summary>The 1-hour part is bounded by the writes it belongs to (an upstream's figures are not trusted to add up).</summary>
    private static (long FiveMinutes, long OneHour) Split(long writes, long oneHour)
    {
        var hour = Math.Clamp(oneHour, 0, Math.Max(writes, 0));
        return (writes - hour, hour);
    }
}

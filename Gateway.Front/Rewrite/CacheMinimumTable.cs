using System.Collections.Concurrent;
using Gateway.Grains.Pricing;

namespace Gateway.Front.Rewrite;

/// <summary>
/// Model name → minimum cacheable prefix in tokens: configured entries first, then the built-in table,
/// then the default. Answers are cached per model name (a bounded number, since names come from clients).
/// </summary>
internal sealed class CacheMinimumTable(CacheInjectionOptions options)
{
    private const int MaxCachedModels = 1024;
    private readonly ConcurrentDictionary<string, int> _byModel = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The smallest minimum of any model: configured, built in or the default.</summary>
    public int Smallest { get; } = options.MinimumCacheableTokens.Select(e => e.Tokens)
        .Concat(CacheInjectionOptions.BuiltInMinimums.Select(e => e.Tokens))
        .Append(options.DefaultMinimumCacheableTokens)
        .Min();

    public int For(string model)
    {
        if (_byModel.TryGetValue(model, out var tokens))
        {
            return tokens;
        }
        tokens = Lookup(model);
        if (_byModel.Count < MaxCachedModels)
        {
            _byModel.TryAdd(model, tokens);
        }
        return tokens;
    }

    private int Lookup(string model)
    {
        foreach (var entry in options.MinimumCacheableTokens)
        {
            if (ModelPattern.Matches(entry.Model, model))
            {
                return entry.Tokens;
            }
        }
        foreach (var entry in CacheInjectionOptions.BuiltInMinimums)
        {
            if (ModelPattern.Matches(entry.Model, model))
            {
                return entry.Tokens;
            }
        }
        return options.DefaultMinimumCacheableTokens;
    }
}

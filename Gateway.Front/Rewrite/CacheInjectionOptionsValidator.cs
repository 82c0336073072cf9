using Microsoft.Extensions.Options;

namespace Gateway.Front.Rewrite;

/// <summary>Refuses, at start, cache-injection settings that cannot work, naming the key.</summary>
public sealed class CacheInjectionOptionsValidator : IValidateOptions<CacheInjectionOptions>
{
    public ValidateOptionsResult Validate(string? name, CacheInjectionOptions options)
    {
        const string S = CacheInjectionOptions.Section;
        var failures = new List<string>();
        if (options.Ttl is not (null or "" or "5m" or "1h"))
        {
            failures.Add($"{S}:Ttl must be empty, \"5m\" or \"1h\" (the TTLs Anthropic accepts), got \"{options.Ttl}\".");
        }
        if (options.DefaultMinimumCacheableTokens < 0)
        {
            failures.Add($"{S}:DefaultMinimumCacheableTokens must be 0 or more, got {options.DefaultMinimumCacheableTokens}.");
        }
        for (var i = 0; i < options.MinimumCacheableTokens.Count; i++)
        {
            var entry = options.MinimumCacheableTokens[i];
            if (string.IsNullOrWhiteSpace(entry?.Model))
            {
                failures.Add($"{S}:MinimumCacheableTokens:{i}:Model must name a model or a glob.");
            }
            else if (entry.Tokens < 0)
            {
                failures.Add($"{S}:MinimumCacheableTokens:{i}:Tokens must be 0 or more, got {entry.Tokens}.");
            }
        }
        if (options.BytesPerToken is < 1 or > 16)
        {
            failures.Add($"{S}:BytesPerToken must be between 1 and 16, got {options.BytesPerToken}.");
        }
        if (string.IsNullOrWhiteSpace(options.DisableHeader) || !IsToken(options.DisableHeader))
        {
            failures.Add($"{S}:DisableHeader must be a valid HTTP header name, got \"{options.DisableHeader}\".");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>RFC 9110 token characters.</summary>
    private static bool IsToken(string value)
    {
        foreach (var c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c)))
            {
                return false;
            }
        }
        return true;
    }
}

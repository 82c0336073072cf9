using Microsoft.Extensions.Options;

namespace Gateway.Front.SelfService;

/// <summary>The cache must exist (it is what bounds a flood) and stay short (the figures a developer sees are that old).</summary>
public sealed class SelfServiceOptionsValidator : IValidateOptions<SelfServiceOptions>
{
    public static readonly TimeSpan MaxCacheTime = TimeSpan.FromSeconds(10);

    public ValidateOptionsResult Validate(string? name, SelfServiceOptions options) =>
        options.CacheTime > TimeSpan.Zero && options.CacheTime <= MaxCacheTime
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"{SelfServiceOptions.Section}:CacheTime must be positive and at most {MaxCacheTime:c} (it bounds both the grain calls a flood of usage calls costs and how old the figures are).");
}

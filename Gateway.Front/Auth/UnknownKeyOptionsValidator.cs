using Microsoft.Extensions.Options;

namespace Gateway.Front.Auth;

/// <summary>Refuses, at start, unknown-key settings that would unbound memory or lock out new keys for long.</summary>
public sealed class UnknownKeyOptionsValidator : IValidateOptions<UnknownKeyOptions>
{
    /// <summary>A newly created key must work within seconds, not minutes.</summary>
    public static readonly TimeSpan MaxCacheTime = TimeSpan.FromSeconds(60);

    public ValidateOptionsResult Validate(string? name, UnknownKeyOptions o)
    {
        const string s = UnknownKeyOptions.Section;
        var errors = new List<string>();
        if (o.CacheTime < TimeSpan.Zero || o.CacheTime > MaxCacheTime)
        {
            errors.Add($"{s}:CacheTime must be between 00:00:00 and {MaxCacheTime:c} (a new key waits for it), got {o.CacheTime}.");
        }
        if (o.CacheSize is < 1 or > 10_000_000)
        {
            errors.Add($"{s}:CacheSize must be between 1 and 10000000, got {o.CacheSize}.");
        }
        if (o.FailuresPerAddress < 0)
        {
            errors.Add($"{s}:FailuresPerAddress must be 0 (off) or more, got {o.FailuresPerAddress}.");
        }
        if (o.FailureWindow <= TimeSpan.Zero || o.FailureWindow > TimeSpan.FromHours(1))
        {
            errors.Add($"{s}:FailureWindow must be positive and at most 01:00:00, got {o.FailureWindow}.");
        }
        if (o.MaxTrackedAddresses is < 1 or > 10_000_000)
        {
            errors.Add($"{s}:MaxTrackedAddresses must be between 1 and 10000000, got {o.MaxTrackedAddresses}.");
        }
        if (o.KnownKeyTime < TimeSpan.Zero)
        {
            errors.Add($"{s}:KnownKeyTime must not be negative, got {o.KnownKeyTime}.");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

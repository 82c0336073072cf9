using Microsoft.Extensions.Options;

namespace Gateway.Front.Forwarding;

/// <summary>Fails start-up with a message naming the configuration key that is wrong.</summary>
public sealed class UpstreamOptionsValidator : IValidateOptions<UpstreamOptions>
{
    public ValidateOptionsResult Validate(string? name, UpstreamOptions o)
    {
        var errors = new List<string>();
        var s = UpstreamOptions.Section;

        if (!string.IsNullOrWhiteSpace(o.BaseUrl)
            && (!Uri.TryCreate(o.BaseUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
        {
            errors.Add($"{s}:BaseUrl must be an absolute http(s) URL, got '{o.BaseUrl}'.");
        }
        if (string.IsNullOrWhiteSpace(o.BaseUrl) && !o.UseFakeUpstreamWhenUnconfigured)
        {
            errors.Add($"{s}:BaseUrl is required when {s}:UseFakeUpstreamWhenUnconfigured is false.");
        }
        for (var i = 0; i < o.ApiKeys.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(o.ApiKeys[i]))
            {
                errors.Add($"{s}:ApiKeys:{i} is empty.");
            }
        }
        Positive(o.ConnectTimeout, "ConnectTimeout");
        Positive(o.IdleTimeout, "IdleTimeout");
        Positive(o.RetryDeadline, "RetryDeadline");
        Positive(o.RetryBaseDelay, "RetryBaseDelay");
        Positive(o.RetryMaxDelay, "RetryMaxDelay");
        Positive(o.Breaker.SamplingDuration, "Breaker:SamplingDuration");
        Positive(o.Breaker.BreakDuration, "Breaker:BreakDuration");
        if (o.MaxRetries is < 0 or > 10)
        {
            errors.Add($"{s}:MaxRetries must be between 0 and 10, got {o.MaxRetries}.");
        }
        if (o.Breaker.FailureRatio is <= 0 or > 1)
        {
            errors.Add($"{s}:Breaker:FailureRatio must be in (0, 1], got {o.Breaker.FailureRatio}.");
        }
        if (o.Breaker.MinimumThroughput < 2)
        {
            errors.Add($"{s}:Breaker:MinimumThroughput must be at least 2, got {o.Breaker.MinimumThroughput}.");
        }
        if (o.MaxConnectionsPerServer < 1)
        {
            errors.Add($"{s}:MaxConnectionsPerServer must be at least 1, got {o.MaxConnectionsPerServer}.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);

        void Positive(TimeSpan value, string key)
        {
            if (value <= TimeSpan.Zero)
            {
                errors.Add($"{s}:{key} must be a positive time span (e.g. 00:00:05), got {value}.");
            }
        }
    }
}

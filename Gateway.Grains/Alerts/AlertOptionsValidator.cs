using Microsoft.Extensions.Options;

namespace Gateway.Grains.Alerts;

/// <summary>Checks <see cref="AlertOptions"/> at start and names every bad setting, not only the first.</summary>
public sealed class AlertOptionsValidator : IValidateOptions<AlertOptions>
{
    public ValidateOptionsResult Validate(string? name, AlertOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        const string S = AlertOptions.Section;
        if (options.EvaluateInterval < TimeSpan.FromMilliseconds(100) || options.EvaluateInterval > TimeSpan.FromHours(1))
        {
            errors.Add($"{S}:EvaluateInterval must be between 00:00:00.1 and 01:00:00, got {options.EvaluateInterval}.");
        }
        if (options.DeliveryTimeout <= TimeSpan.Zero || options.DeliveryTimeout > TimeSpan.FromMinutes(1))
        {
            errors.Add($"{S}:DeliveryTimeout must be positive and at most 00:01:00 (a claimed delivery holds its row lock that long), got {options.DeliveryTimeout}.");
        }
        if (options.RetryBaseDelay <= TimeSpan.Zero || options.RetryMaxDelay < options.RetryBaseDelay)
        {
            errors.Add($"{S}:RetryBaseDelay must be positive and RetryMaxDelay at least as long.");
        }
        if (options.GiveUpAfter < options.RetryMaxDelay)
        {
            errors.Add($"{S}:GiveUpAfter must be at least RetryMaxDelay.");
        }
        if (options.DeliveryBatchSize is < 1 or > 1000)
        {
            errors.Add($"{S}:DeliveryBatchSize must be between 1 and 1000, got {options.DeliveryBatchSize}.");
        }
        var hosts = options.AllowedWebhookHosts ?? [];
        for (var i = 0; i < hosts.Length; i++)
        {
            if (!WebhookUrlPolicy.IsHostPattern(hosts[i]))
            {
                errors.Add($"{S}:AllowedWebhookHosts:{i} must be a host name (hooks.slack.com) or *.domain, got '{hosts[i]}'.");
            }
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

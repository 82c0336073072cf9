using Microsoft.Extensions.Options;

namespace Gateway.Front.Envelope;

public sealed class GatewayOptionsValidator : IValidateOptions<GatewayOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayOptions o)
    {
        var errors = new List<string>();
        if (o.MaxRequestBodyBytes is < 1024 or > 1L << 31)
        {
            errors.Add($"{GatewayOptions.Section}:MaxRequestBodyBytes must be between 1024 and 2147483648, got {o.MaxRequestBodyBytes}.");
        }
        if (o.ShutdownTimeout <= TimeSpan.Zero)
        {
            errors.Add($"{GatewayOptions.Section}:ShutdownTimeout must be a positive time span, got {o.ShutdownTimeout}.");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

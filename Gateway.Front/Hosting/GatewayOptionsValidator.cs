using Microsoft.Extensions.Options;

namespace Gateway.Front.Hosting;

public sealed class GatewayOptionsValidator : IValidateOptions<GatewayOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayOptions o) =>
        o.MaxRequestBodyBytes is < 1024 or > 1L << 31
            ? ValidateOptionsResult.Fail(
                $"{GatewayOptions.Section}:MaxRequestBodyBytes must be between 1024 and 2147483648, got {o.MaxRequestBodyBytes}.")
            : ValidateOptionsResult.Success;
}

using Gateway.Grains.Storage;
using Microsoft.Extensions.Options;

namespace Gateway.Front.Admin;

/// <summary>Refuses, at start, an admin token that is weak or could be mistaken for a virtual key.</summary>
public sealed class AdminOptionsValidator : IValidateOptions<AdminOptions>
{
    public const int MinimumTokenLength = 16;

    public ValidateOptionsResult Validate(string? name, AdminOptions options)
    {
        if (options.NotifyTimeout <= TimeSpan.Zero)
        {
            return ValidateOptionsResult.Fail($"{AdminOptions.Section}:NotifyTimeout must be positive, got {options.NotifyTimeout}.");
        }
        var token = options.Token ?? "";
        if (token.Length == 0)
        {
            return ValidateOptionsResult.Success;
        }
        if (KeySecrets.LooksLikeVirtualKey(token))
        {
            return ValidateOptionsResult.Fail(
                $"{AdminOptions.Section}:Token must not start with '{KeySecrets.Prefix}': that is what virtual keys look like.");
        }
        if (token.Length < MinimumTokenLength || token.Trim().Length != token.Length)
        {
            return ValidateOptionsResult.Fail(
                $"{AdminOptions.Section}:Token must be at least {MinimumTokenLength} characters without surrounding spaces (e.g. `openssl rand -hex 32`).");
        }
        return ValidateOptionsResult.Success;
    }
}

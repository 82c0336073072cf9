using Gateway.Front.Auth;
using Microsoft.Extensions.Options;

namespace Gateway.Front.Forwarding;

/// <summary>
/// With virtual keys, the client's credential is the gateway's own and must never travel upstream,
/// so a real upstream needs credentials of its own. (The embedded fake gets one automatically.)
/// </summary>
public sealed class UpstreamCredentialValidator(IOptions<AuthOptions> auth) : IValidateOptions<UpstreamOptions>
{
    public ValidateOptionsResult Validate(string? name, UpstreamOptions options) =>
        auth.Value.Mode == AuthMode.VirtualKeys && !string.IsNullOrWhiteSpace(options.BaseUrl) && options.ApiKeys.Length == 0
            ? ValidateOptionsResult.Fail(
                $"{UpstreamOptions.Section}:ApiKeys must name at least one upstream key when {AuthOptions.Section}:Mode is VirtualKeys "
                + $"(the clients' virtual keys are never sent upstream); or set {AuthOptions.Section}:Mode=PassThrough.")
            : ValidateOptionsResult.Success;
}

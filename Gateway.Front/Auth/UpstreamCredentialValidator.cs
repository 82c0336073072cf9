using Gateway.Front.Upstreams;
using Microsoft.Extensions.Options;

namespace Gateway.Front.Auth;

/// <summary>
/// With virtual keys, the client's credential is the gateway's own and must never travel upstream,
/// so a real upstream needs credentials of its own. (The embedded fake gets one automatically.)
/// </summary>
public sealed class UpstreamCredentialValidator(IOptions<AuthOptions> auth) : IValidateOptions<UpstreamOptions>
{
    public ValidateOptionsResult Validate(string? name, UpstreamOptions options)
    {
        if (auth.Value.Mode == AuthMode.VirtualKeys && options.Providers.Length > 0)
        {
            var keyless = options.Providers.Select((p, i) => (p, i)).Where(x => x.p.Keys.Length == 0
                    // Vertex signs in with Google credentials, and a Bedrock provider without keys with the AWS credentials of the standard chain.
                    && !x.p.Kind.Equals(UpstreamProviderOptions.VertexKind, StringComparison.OrdinalIgnoreCase)
                    && !x.p.Kind.Equals(UpstreamProviderOptions.BedrockKind, StringComparison.OrdinalIgnoreCase))
                .Select(x => $"{UpstreamOptions.Section}:Providers:{x.i}:Keys must name at least one upstream key for provider '{x.p.Name}' "
                    + $"when {AuthOptions.Section}:Mode is VirtualKeys (the clients' virtual keys are never sent upstream).").ToArray();
            return keyless.Length == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(keyless);
        }
        return auth.Value.Mode == AuthMode.VirtualKeys && !string.IsNullOrWhiteSpace(options.BaseUrl) && options.ApiKeys.Length == 0
            ? ValidateOptionsResult.Fail(
                $"{UpstreamOptions.Section}:ApiKeys must name at least one upstream key when {AuthOptions.Section}:Mode is VirtualKeys "
                + $"(the clients' virtual keys are never sent upstream); or set {AuthOptions.Section}:Mode=PassThrough.")
            : ValidateOptionsResult.Success;
    }
}

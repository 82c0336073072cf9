using System.Net.Http.Headers;

namespace Gateway.Front.Clouds;

/// <summary>
/// How one attempt to a cloud provider differs on the wire from an Anthropic one: the path that replaces the
/// client's (null: the client's path and query go as they came), and the credential header that replaces the
/// client's (Vertex: <c>Authorization: Bearer</c> with a Google access token; Foundry: <c>api-key</c>).
/// Prepared before the attempt (a token may need fetching); applied by the forwarder's transformer.
/// </summary>
public sealed record CloudCall(string? Path, string CredentialHeader, string CredentialValue, ProviderCapabilities Capabilities)
{
    public const string AuthorizationHeader = "Authorization";

    /// <summary>Sets the target and the credential on the outgoing request and drops the betas the provider refuses.</summary>
    public void Apply(HttpRequestMessage request, string destinationPrefix, string provider, bool countTokens)
    {
        if (Path is not null)
        {
            // The client's query (?beta=true) is Anthropic's; a cloud's predict URL takes none.
            request.RequestUri = new Uri(destinationPrefix + Path, UriKind.Absolute);
        }
        var clientKey = request.Headers.TryGetValues("x-api-key", out var keys) ? keys.FirstOrDefault() : null;
        request.Headers.Remove("x-api-key");
        request.Headers.Remove("api-key");
        request.Headers.Authorization = null;
        // Pass-through mode to a keyless Foundry provider: the client's own key, in the header Foundry reads.
        var value = CredentialValue.Length > 0 ? CredentialValue : clientKey;
        if (string.IsNullOrEmpty(value))
        {
            Capabilities.FilterBetaHeader(request.Headers, provider, countTokens);
            return;
        }
        if (CredentialHeader.Equals(AuthorizationHeader, StringComparison.OrdinalIgnoreCase))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", value);
        }
        else
        {
            request.Headers.TryAddWithoutValidation(CredentialHeader, value);
        }
        Capabilities.FilterBetaHeader(request.Headers, provider, countTokens);
    }
}

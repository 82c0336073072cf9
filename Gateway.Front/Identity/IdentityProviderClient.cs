using System.Text.Json;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace Gateway.Front.Identity;

/// <summary>
/// The OAuth calls the gateway makes to a provider for the device flow (RFC 8628) and refreshes. Hand-written
/// on HttpClient: Microsoft.IdentityModel has discovery and validation but no OAuth client, and these are
/// three form posts. Answers are read bounded (a provider is trusted, a misconfigured one is not).
/// </summary>
public sealed class IdentityProviderClient(HttpClient http)
{
    private const int MaxAnswerBytes = 64 * 1024;
    public const string DeviceCodeGrant = "urn:ietf:params:oauth:grant-type:device_code";

    public async Task<(DeviceAuthorization? Authorization, string? Error)> StartDeviceFlowAsync(OidcIssuer issuer, CancellationToken cancellationToken)
    {
        var configuration = await issuer.Configuration.GetConfigurationAsync(cancellationToken);
        if (string.IsNullOrEmpty(configuration.DeviceAuthorizationEndpoint))
        {
            return (null, $"The identity provider '{issuer.Name}' publishes no device_authorization_endpoint.");
        }
        var form = ClientFields(issuer);
        form.Add(new("scope", issuer.Options.Scopes));
        using var document = await PostAsync(configuration.DeviceAuthorizationEndpoint, form, cancellationToken);
        var root = document.RootElement;
        if (Text(root, "error") is { } error)
        {
            return (null, $"The identity provider '{issuer.Name}' refused the device authorization: {error} {Text(root, "error_description")}".TrimEnd());
        }
        if (Text(root, "device_code") is not { } deviceCode || Text(root, "user_code") is not { } userCode
            || (Text(root, "verification_uri") ?? Text(root, "verification_url")) is not { } verificationUri)
        {
            return (null, $"The identity provider '{issuer.Name}' answered the device authorization without device_code, user_code or verification_uri.");
        }
        return (new DeviceAuthorization(deviceCode, userCode, verificationUri, Text(root, "verification_uri_complete"),
            Number(root, "expires_in") ?? 600, Number(root, "interval") ?? 5), null);
    }

    public Task<ProviderTokens> PollDeviceTokenAsync(OidcIssuer issuer, string deviceCode, CancellationToken cancellationToken) =>
        TokenAsync(issuer, [new("grant_type", DeviceCodeGrant), new("device_code", deviceCode)], cancellationToken);

    /// <summary>The authorization-code grant with PKCE (the console's sign-in, RFC 7636).</summary>
    public Task<ProviderTokens> ExchangeCodeAsync(OidcIssuer issuer, string code, string redirectUri, string codeVerifier,
        CancellationToken cancellationToken) =>
        TokenAsync(issuer, [new("grant_type", "authorization_code"), new("code", code), new("redirect_uri", redirectUri),
            new("code_verifier", codeVerifier)], cancellationToken);

    public Task<ProviderTokens> RefreshAsync(OidcIssuer issuer, string refreshToken, CancellationToken cancellationToken) =>
        TokenAsync(issuer, [new("grant_type", "refresh_token"), new("refresh_token", refreshToken)], cancellationToken);

    private async Task<ProviderTokens> TokenAsync(OidcIssuer issuer, KeyValuePair<string, string>[] grant, CancellationToken cancellationToken)
    {
        OpenIdConnectConfiguration configuration = await issuer.Configuration.GetConfigurationAsync(cancellationToken);
        var form = ClientFields(issuer);
        form.AddRange(grant);
        using var document = await PostAsync(configuration.TokenEndpoint, form, cancellationToken);
        var root = document.RootElement;
        return Text(root, "error") is { } error
            ? new ProviderTokens(null, null, error, Text(root, "error_description"))
            : new ProviderTokens(Text(root, "id_token"), Text(root, "refresh_token"), null, null);
    }

    private static List<KeyValuePair<string, string>> ClientFields(OidcIssuer issuer)
    {
        var form = new List<KeyValuePair<string, string>> { new("client_id", issuer.Options.ClientId) };
        if (!string.IsNullOrEmpty(issuer.Options.ClientSecret))
        {
            // client_secret_post: accepted by every provider that allows it, and the simplest to configure.
            form.Add(new("client_secret", issuer.Options.ClientSecret));
        }
        return form;
    }

    private async Task<JsonDocument> PostAsync(string endpoint, List<KeyValuePair<string, string>> form, CancellationToken cancellationToken)
    {
        using var content = new FormUrlEncodedContent(form);
        using var response = await http.PostAsync(endpoint, content, cancellationToken);
        if (response.Content.Headers.ContentLength > MaxAnswerBytes)
        {
            throw new HttpRequestException($"The identity provider's answer from {endpoint} is larger than {MaxAnswerBytes} bytes.");
        }
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[MaxAnswerBytes + 1];
        var read = 0;
        int n;
        while (read < buffer.Length && (n = await body.ReadAsync(buffer.AsMemory(read), cancellationToken)) > 0)
        {
            read += n;
        }
        if (read > MaxAnswerBytes)
        {
            throw new HttpRequestException($"The identity provider's answer from {endpoint} is larger than {MaxAnswerBytes} bytes.");
        }
        try
        {
            var document = JsonDocument.Parse(buffer.AsMemory(0, read));
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                document.Dispose();
                throw new HttpRequestException($"The identity provider's answer from {endpoint} is not a JSON object (status {(int)response.StatusCode}).");
            }
            return document;
        }
        catch (JsonException e)
        {
            throw new HttpRequestException($"The identity provider's answer from {endpoint} is not JSON (status {(int)response.StatusCode}).", e);
        }
    }

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static int? Number(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n) ? n : null;
}

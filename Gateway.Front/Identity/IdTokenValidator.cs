using Gateway.Grains.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Gateway.Front.Identity;

/// <summary>
/// Checks a provider's id_token with Microsoft.IdentityModel: signature against the provider's JWKS (from
/// discovery; fetched again once when the token's key id is unknown, i.e. after a key rotation), issuer,
/// audience (our client id) and lifetime. Then reads the person: subject, user claim and groups.
/// </summary>
public sealed class IdTokenValidator
{
    /// <summary>Most groups read from one token; more (a provider listing hundreds) are ignored past this.</summary>
    public const int MaxGroups = 256;
    private const int MaxSubjectLength = 255;

    private readonly JsonWebTokenHandler _handler = new();

    /// <param name="expectedNonce">For the authorization-code flow: the nonce sent with the request, which the token must echo.</param>
    public async Task<(ProviderIdentity? Identity, string? Error)> ValidateAsync(OidcIssuer issuer, string idToken, CancellationToken cancellationToken,
        string? expectedNonce = null)
    {
        var result = await ValidateOnceAsync(issuer, idToken, cancellationToken);
        if (result.Exception is SecurityTokenSignatureKeyNotFoundException)
        {
            issuer.Configuration.RequestRefresh();
            result = await ValidateOnceAsync(issuer, idToken, cancellationToken);
        }
        if (!result.IsValid)
        {
            return (null, $"The id_token from '{issuer.Name}' is not valid: {result.Exception?.GetType().Name}.");
        }
        var identity = result.ClaimsIdentity;
        if (expectedNonce is not null && !string.Equals(identity.FindFirst("nonce")?.Value, expectedNonce, StringComparison.Ordinal))
        {
            return (null, $"The id_token from '{issuer.Name}' does not carry the nonce of this sign-in.");
        }
        var subject = identity.FindFirst("sub")?.Value;
        if (string.IsNullOrEmpty(subject) || subject.Length > MaxSubjectLength)
        {
            return (null, $"The id_token from '{issuer.Name}' has no usable 'sub' claim.");
        }
        var user = identity.FindFirst(issuer.Options.UserClaim)?.Value;
        var name = BoundedText.Clean(string.IsNullOrWhiteSpace(user) ? subject : user, BoundedText.MaxNameLength)!;
        var groups = identity.FindAll(issuer.Options.GroupsClaim).Select(c => c.Value).Where(g => g.Length > 0).Take(MaxGroups).ToArray();
        return (new ProviderIdentity(subject, name, groups), null);
    }

    private async Task<TokenValidationResult> ValidateOnceAsync(OidcIssuer issuer, string idToken, CancellationToken cancellationToken)
    {
        var configuration = await issuer.Configuration.GetConfigurationAsync(cancellationToken);
        return await _handler.ValidateTokenAsync(idToken, new TokenValidationParameters
        {
            ValidIssuer = configuration.Issuer,
            ValidAudience = issuer.Options.ClientId,
            IssuerSigningKeys = configuration.SigningKeys,
            ValidateIssuerSigningKey = true,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ClockSkew = TimeSpan.FromMinutes(2),
        });
    }
}

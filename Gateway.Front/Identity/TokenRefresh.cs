using Gateway.Front.Errors;
using Gateway.Grains.Storage;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Gateway.Front.Identity;

/// <summary>
/// <c>POST /auth/refresh</c>: a gateway refresh token for a new access token. With the provider's refresh
/// token inside, the provider is asked again and the person's groups re-read (a person moved out of every
/// mapped group is refused); without one, the user key is re-checked (exists, not revoked, same lookup hash).
/// </summary>
public sealed class TokenRefresh(GatewayTokens tokens, OidcIssuers issuers, IdentityProviderClient provider, UserSignInService signIns,
    IKeyStore keys)
{
    private const string SignInAgain = "The refresh token is no longer valid: sign in again.";

    public async Task<SignInOutcome> RefreshAsync(string refreshToken, CancellationToken cancellationToken)
    {
        var result = await tokens.ValidateRefreshAsync(refreshToken);
        if (!result.IsValid || result.SecurityToken is not JsonWebToken token
            || !token.TryGetPayloadValue<string>(GatewayTokens.IssuerNameClaim, out var issuerName)
            || !token.TryGetPayloadValue<string>(GatewayTokens.LookupHashClaim, out var lookupHash)
            || string.IsNullOrEmpty(token.Subject))
        {
            return SignInOutcome.Refused(StatusCodes.Status401Unauthorized, AnthropicErrorTypes.Authentication, SignInAgain, "invalid_grant");
        }
        if (issuers.Find(issuerName) is not { } issuer)
        {
            return SignInOutcome.Refused(StatusCodes.Status401Unauthorized, AnthropicErrorTypes.Authentication,
                $"The identity provider '{issuerName}' is no longer configured: sign in again.", "invalid_grant");
        }
        string? rotated = null;
        if (token.TryGetPayloadValue<string>(GatewayTokens.ProviderRefreshClaim, out var providerRefresh) && !string.IsNullOrEmpty(providerRefresh))
        {
            var answer = await provider.RefreshAsync(issuer, providerRefresh, cancellationToken);
            if (!answer.Ok)
            {
                return SignInOutcome.Refused(StatusCodes.Status401Unauthorized, AnthropicErrorTypes.Authentication, SignInAgain, "invalid_grant");
            }
            if (!string.IsNullOrEmpty(answer.IdToken))
            {
                // Providers may rotate refresh tokens; one that does not keeps the one we hold.
                return await signIns.SignInAsync(issuer, answer with { RefreshToken = answer.RefreshToken ?? providerRefresh }, cancellationToken);
            }
            // No id_token to re-read groups from; a rotated refresh token must still replace the one just spent.
            rotated = answer.RefreshToken;
        }
        var record = await keys.GetKeyAsync(token.Subject, cancellationToken);
        if (record is null || record.SecretHash != lookupHash || record.Kind != UserKeys.UserKind)
        {
            return SignInOutcome.Refused(StatusCodes.Status401Unauthorized, AnthropicErrorTypes.Authentication, SignInAgain, "invalid_grant");
        }
        if (record.Key.Revoked)
        {
            return SignInOutcome.Refused(StatusCodes.Status403Forbidden, AnthropicErrorTypes.Permission,
                $"Access for {record.Key.Name} has been revoked by an administrator.", "invalid_grant");
        }
        var admin = token.TryGetPayloadValue<bool>(GatewayTokens.AdminClaim, out var isAdmin) && isAdmin;
        var user = new SignedInUser(record.Key.KeyId, record.SecretHash, record.Key.Name, record.Key.TeamId, issuer.Name, admin);
        // Nothing new from a provider: the same refresh token serves until it expires, so a session ends RefreshLifetime after sign-in.
        return rotated is null ? signIns.Issue(user, null, keepRefreshToken: refreshToken) : signIns.Issue(user, rotated);
    }
}

using Gateway.Front.Admin;
using Gateway.Front.Errors;
using Gateway.Grains.Storage;

namespace Gateway.Front.Identity;

/// <summary>
/// From a provider's answer to gateway tokens: validate the id_token, map groups to a team (none: 403,
/// nothing stored), upsert the person's user key with the team's per-user limits (unless an administrator
/// set theirs), tell the cluster when the key changed, and mint the tokens.
/// </summary>
public sealed class UserSignInService(IdTokenValidator idTokens, GatewayTokens tokens, IKeyStore keys, IUserStore users,
    IKeyChangeNotifier changes, ILogger<UserSignInService> logger)
{
    public async Task<SignInOutcome> SignInAsync(OidcIssuer issuer, ProviderTokens answer, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(answer.IdToken))
        {
            return SignInOutcome.Refused(StatusCodes.Status502BadGateway, AnthropicErrorTypes.Api,
                $"The identity provider '{issuer.Name}' answered without an id_token (is 'openid' among the scopes?).");
        }
        var (identity, error) = await idTokens.ValidateAsync(issuer, answer.IdToken, cancellationToken);
        if (identity is null)
        {
            IdentityLog.IdTokenRefused(logger, issuer.Name, error!);
            return SignInOutcome.Refused(StatusCodes.Status401Unauthorized, AnthropicErrorTypes.Authentication, error!);
        }
        if (GroupTeamMapping.TeamFor(issuer.Options, identity.Groups) is not { } teamRef)
        {
            IdentityLog.NoMappedGroup(logger, issuer.Name, identity.UserName);
            return SignInOutcome.Refused(StatusCodes.Status403Forbidden, AnthropicErrorTypes.Permission,
                $"{identity.UserName} is in no group that gives access to this gateway; ask an administrator to map one of your groups to a team.");
        }
        var teams = await keys.ListTeamsAsync(cancellationToken);
        var team = teams.FirstOrDefault(t => t.TeamId == teamRef) ?? teams.FirstOrDefault(t => t.Name == teamRef);
        if (team is null)
        {
            IdentityLog.UnknownTeam(logger, issuer.Name, teamRef);
            return SignInOutcome.Refused(StatusCodes.Status403Forbidden, AnthropicErrorTypes.Permission,
                $"Your group maps to team '{teamRef}', which does not exist; ask an administrator to create it.");
        }
        var limits = (issuer.Options.TeamUserLimits.GetValueOrDefault(team.TeamId) ?? issuer.Options.TeamUserLimits.GetValueOrDefault(team.Name)
            ?? issuer.Options.UserLimits).ToKeyLimits();

        var keyId = UserKeys.IdFor(issuer.Name, identity.Subject);
        var before = await keys.GetKeyAsync(keyId, cancellationToken);
        var record = await users.UpsertUserAsync(new Grains.Storage.UserSignIn
        {
            Issuer = issuer.Name,
            Subject = identity.Subject,
            UserName = identity.UserName,
            TeamId = team.TeamId,
            Limits = limits,
        }, cancellationToken);
        var key = record.Key.Key;
        if (before is not null && (before.Key.TeamId != key.TeamId || before.Key.Limits != key.Limits || before.Key.Name != key.Name))
        {
            // The directory and the key's grain hold the old team and limits: a moved person is metered on the new ones at once.
            await changes.KeyChangedAsync(key.KeyId, record.Key.SecretHash, cancellationToken);
        }
        if (key.Revoked)
        {
            return SignInOutcome.Refused(StatusCodes.Status403Forbidden, AnthropicErrorTypes.Permission,
                $"Access for {identity.UserName} has been revoked by an administrator.");
        }
        IdentityLog.SignedIn(logger, issuer.Name, key.KeyId, key.TeamId);
        var user = new SignedInUser(key.KeyId, record.Key.SecretHash, identity.UserName, key.TeamId, issuer.Name,
            GroupTeamMapping.IsAdmin(issuer.Options, identity.Groups));
        return Issue(user, answer.RefreshToken);
    }

    public SignInOutcome Issue(SignedInUser user, string? providerRefreshToken, string? keepRefreshToken = null)
    {
        var (access, expires) = tokens.CreateAccess(user);
        return new SignInOutcome
        {
            User = user,
            AccessToken = access,
            ExpiresAt = expires,
            RefreshToken = keepRefreshToken ?? tokens.CreateRefresh(user, providerRefreshToken),
        };
    }
}

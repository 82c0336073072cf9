using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Gateway.Front.Identity;

/// <summary>Every problem of the <c>Identity</c> section at start, each naming its setting.</summary>
public sealed partial class IdentityOptionsValidator : IValidateOptions<IdentityOptions>
{
    public const int MinSigningKeyLength = 32;

    public ValidateOptionsResult Validate(string? name, IdentityOptions o)
    {
        const string s = IdentityOptions.Section;
        if (!o.Enabled)
        {
            return ValidateOptionsResult.Success;
        }
        var errors = new List<string>();
        if (string.IsNullOrEmpty(o.SigningKey) || o.SigningKey.Length < MinSigningKeyLength)
        {
            errors.Add($"{s}:SigningKey must be set, {MinSigningKeyLength} characters or more, when {s}:Issuers is (it signs the gateway's tokens; the same on every front).");
        }
        if (o.TokenLifetime < TimeSpan.FromMinutes(1) || o.TokenLifetime > TimeSpan.FromHours(24))
        {
            errors.Add($"{s}:TokenLifetime must be between 00:01:00 and 1.00:00:00, got {o.TokenLifetime}.");
        }
        if (o.RefreshLifetime < o.TokenLifetime || o.RefreshLifetime > TimeSpan.FromDays(90))
        {
            errors.Add($"{s}:RefreshLifetime must be at least {s}:TokenLifetime and at most 90.00:00:00, got {o.RefreshLifetime}.");
        }
        if (o.TokenCacheSize is < 1 or > 10_000_000)
        {
            errors.Add($"{s}:TokenCacheSize must be between 1 and 10000000, got {o.TokenCacheSize}.");
        }
        if (o.MaxConcurrentProviderCalls is < 1 or > 10_000)
        {
            errors.Add($"{s}:MaxConcurrentProviderCalls must be between 1 and 10000, got {o.MaxConcurrentProviderCalls}.");
        }
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < o.Issuers.Length; i++)
        {
            var issuer = o.Issuers[i];
            var path = $"{s}:Issuers:{i}";
            if (!IssuerName().IsMatch(issuer.Name ?? ""))
            {
                errors.Add($"{path}:Name must be 1-64 letters, digits, '-' or '_', got '{issuer.Name}'.");
            }
            else if (!names.Add(issuer.Name!))
            {
                errors.Add($"{path}:Name '{issuer.Name}' is used by another issuer.");
            }
            if (!Uri.TryCreate(issuer.Authority, UriKind.Absolute, out var authority)
                || (authority.Scheme != Uri.UriSchemeHttps && (issuer.RequireHttps || authority.Scheme != Uri.UriSchemeHttp)))
            {
                errors.Add($"{path}:Authority must be an absolute https URL (http only with RequireHttps=false), got '{issuer.Authority}'.");
            }
            if (string.IsNullOrWhiteSpace(issuer.ClientId))
            {
                errors.Add($"{path}:ClientId must be set.");
            }
            if (string.IsNullOrWhiteSpace(issuer.Scopes) || !issuer.Scopes.Split(' ').Contains("openid"))
            {
                errors.Add($"{path}:Scopes must include 'openid' (the gateway reads the id_token), got '{issuer.Scopes}'.");
            }
            if (string.IsNullOrWhiteSpace(issuer.UserClaim) || string.IsNullOrWhiteSpace(issuer.GroupsClaim))
            {
                errors.Add($"{path}:UserClaim and GroupsClaim must name claims.");
            }
            if (issuer.Teams.Count == 0)
            {
                errors.Add($"{path}:Teams must map at least one group to a team (a person in no mapped group is refused).");
            }
            foreach (var (group, team) in issuer.Teams)
            {
                if (string.IsNullOrWhiteSpace(team))
                {
                    errors.Add($"{path}:Teams:{group} must name a team (its name or id).");
                }
            }
            foreach (var (group, team) in issuer.LeadGroups)
            {
                if (string.IsNullOrWhiteSpace(team))
                {
                    errors.Add($"{path}:LeadGroups:{group} must name the team its members lead (its name or id).");
                }
            }
            errors.AddRange(issuer.UserLimits.Problems($"{path}:UserLimits"));
            foreach (var (team, limits) in issuer.TeamUserLimits)
            {
                errors.AddRange(limits.Problems($"{path}:TeamUserLimits:{team}"));
            }
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex IssuerName();
}

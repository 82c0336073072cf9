using Gateway.Front.Upstreams;
using Gateway.Grains.Storage;
using Microsoft.Extensions.Options;

namespace Gateway.Front.Routing;

/// <summary>Fails start-up with messages naming the rule key that is wrong (e.g. <c>Routing:Rules:2:Provider</c>).</summary>
public sealed class RoutingOptionsValidator(IOptions<UpstreamOptions> upstream) : IValidateOptions<RoutingOptions>
{
    public ValidateOptionsResult Validate(string? name, RoutingOptions options)
    {
        var o = upstream.Value;
        var providers = o.Providers.Length > 0
            ? o.Providers.Select(p => p.Name).Where(n => !string.IsNullOrWhiteSpace(n)).ToHashSet(StringComparer.OrdinalIgnoreCase)
            : new HashSet<string>(StringComparer.OrdinalIgnoreCase) { UpstreamDirectory.DefaultProviderName };
        var known = string.Join(", ", providers.Order());
        var errors = new List<string>();
        for (var i = 0; i < options.Rules.Length; i++)
        {
            var rule = options.Rules[i];
            var at = $"{RoutingOptions.Section}:Rules:{i}";
            if (string.IsNullOrWhiteSpace(rule.Match))
            {
                errors.Add($"{at}:Match is required (an exact model name or a glob such as claude-sonnet-*).");
            }
            if (string.IsNullOrWhiteSpace(rule.Provider))
            {
                errors.Add($"{at}:Provider is required (one of: {known}).");
            }
            else if (!providers.Contains(rule.Provider))
            {
                errors.Add($"{at}:Provider names an unknown provider '{rule.Provider}' (configured: {known}).");
            }
            if (rule.Alias is not null && string.IsNullOrWhiteSpace(rule.Alias))
            {
                errors.Add($"{at}:Alias is empty; remove it to keep the client's model.");
            }
            if (rule.Weight is <= 0)
            {
                errors.Add($"{at}:Weight must be positive, got {rule.Weight}.");
            }
            for (var t = 0; t < rule.Teams.Length; t++)
            {
                var team = rule.Teams[t];
                if (!IsTeamId(team))
                {
                    errors.Add($"{at}:Teams:{t} must be a team id ({StoreIds.TeamPrefix} followed by lowercase letters and digits, as the admin API shows it), got '{team}'.");
                }
                else if (Array.IndexOf(rule.Teams, team) < t)
                {
                    errors.Add($"{at}:Teams:{t} repeats team '{team}'.");
                }
            }
            for (var f = 0; f < rule.Fallbacks.Length; f++)
            {
                var fallback = rule.Fallbacks[f];
                if (string.IsNullOrWhiteSpace(fallback) || !providers.Contains(fallback))
                {
                    errors.Add($"{at}:Fallbacks:{f} names an unknown provider '{fallback}' (configured: {known}).");
                }
                else if (fallback.Equals(rule.Provider, StringComparison.OrdinalIgnoreCase))
                {
                    errors.Add($"{at}:Fallbacks:{f} is the rule's own provider '{fallback}'.");
                }
            }
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>Team ids are <c>team_</c> and lowercase hex (<see cref="StoreIds"/>); a team's name is not accepted.</summary>
    private static bool IsTeamId(string? team) =>
        team is { Length: > 5 and <= 64 }
        && team.StartsWith(StoreIds.TeamPrefix, StringComparison.Ordinal)
        && team.AsSpan(StoreIds.TeamPrefix.Length).ContainsAnyExcept(TeamIdCharacters) is false;

    private static readonly System.Buffers.SearchValues<char> TeamIdCharacters =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789");
}

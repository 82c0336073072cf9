using Gateway.Front.Upstreams;
using Gateway.Grains.Pricing;
using Microsoft.Extensions.Options;

namespace Gateway.Front.Routing;

/// <summary>
/// The models a key may use, from the routing table, for <c>GET /v1/models</c>: the names routing rules match exactly
/// (an operator's aliases included) for the key's team, then the known Claude models (<see cref="KnownModels"/>), which
/// every route serves; narrowed to the key's <c>allowed_models</c>. Built once at start; answering allocates only
/// the list it returns.
/// <para>
/// The table answers whenever it says more than the upstream could: routing rules exist, or a provider is not the
/// Anthropic API (Vertex, Foundry and OpenAI-compatible providers have no model list of Anthropic's shape). With one
/// Anthropic provider and no rules, the upstream's own list is forwarded as before (<see cref="AnswersLocally"/> false).
/// </para>
/// </summary>
public sealed class ModelDirectory
{
    private readonly (ListedModel Model, string[] Teams)[] _ruleNames;

    public ModelDirectory(IOptions<RoutingOptions> routing, UpstreamDirectory upstreams)
    {
        var rules = routing.Value.Rules;
        AnswersLocally = rules.Length > 0 || upstreams.Providers.Any(p => !p.Kind.Equals(UpstreamProviderOptions.AnthropicKind, StringComparison.OrdinalIgnoreCase));
        var known = new HashSet<string>(KnownModels.All.Select(m => m.Id), StringComparer.OrdinalIgnoreCase);
        _ruleNames = rules
            .Where(r => !r.Match.Contains('*') && !r.Match.Contains('?') && !known.Contains(r.Match))
            .GroupBy(r => r.Match, StringComparer.OrdinalIgnoreCase)
            .Select(g => (new ListedModel(g.Key, g.Key, KnownModels.RuleNameDate),
                g.Any(r => r.Teams.Length == 0) ? [] : g.SelectMany(r => r.Teams).Distinct(StringComparer.Ordinal).ToArray()))
            .ToArray();
    }

    /// <summary>Whether <c>GET /v1/models</c> is answered from the routing table (no upstream call).</summary>
    public bool AnswersLocally { get; }

    /// <summary>The models <paramref name="team"/> may use (null: pass-through, rules without teams only), narrowed to <paramref name="allowed"/> when it names any.</summary>
    public List<ListedModel> For(string? team, IReadOnlyList<string> allowed)
    {
        var list = new List<ListedModel>(_ruleNames.Length + KnownModels.All.Count);
        foreach (var (model, teams) in _ruleNames)
        {
            if ((teams.Length == 0 || (team is not null && Array.IndexOf(teams, team) >= 0)) && Allowed(model.Id))
            {
                list.Add(model);
            }
        }
        foreach (var model in KnownModels.All)
        {
            if (Allowed(model.Id))
            {
                list.Add(model);
            }
            else if (Alias(model.Id) is var alias && Allowed(alias))
            {
                // The key may use the undated name only: list that one, as it may send it.
                list.Add(model with { Id = alias });
            }
        }
        return list;

        static string Alias(string id) => id.Length > 9 && id[^9] == '-' ? id[..^9] : id;

        bool Allowed(string id) => allowed.Count == 0 || ModelPattern.AnyMatches(allowed, id);
    }
}

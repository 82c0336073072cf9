using Gateway.Front.Upstreams;
using Gateway.Grains.Pricing;
using Microsoft.Extensions.Options;

namespace Gateway.Front.Routing;

/// <summary>One provider to try, and the model name to send it (null: the body goes unchanged).</summary>
public sealed record RouteStep(UpstreamProvider Provider, string? Alias);

/// <summary>The providers to try for one request, in order: the routed one, then its fallbacks.</summary>
public sealed record Route(IReadOnlyList<RouteStep> Steps);

/// <summary>
/// Ordered rules, first match wins; rules sharing a <c>Match</c> (and the same <c>Teams</c>) form a group
/// that splits traffic by weight. A group with teams is skipped for every other team. Routes are built
/// once at start, so resolving allocates nothing.
/// </summary>
public sealed class RouteTable
{
    private readonly Group[] _groups;

    public RouteTable(IOptions<RoutingOptions> options, UpstreamDirectory directory)
    {
        Default = new Route([new RouteStep(directory.Default, null)]);
        var rules = options.Value.Rules;
        var groups = new List<Group>();
        foreach (var rule in rules)
        {
            if (groups.Any(g => g.Match.Equals(rule.Match, StringComparison.OrdinalIgnoreCase) && SameTeams(g.Teams, rule.Teams)))
            {
                continue;
            }
            var members = rules.Where(r => r.Match.Equals(rule.Match, StringComparison.OrdinalIgnoreCase) && SameTeams(r.Teams, rule.Teams)).ToArray();
            var routes = members.Select(m => BuildRoute(m, members, directory)).ToArray();
            var cumulative = new int[members.Length];
            var total = 0;
            for (var i = 0; i < members.Length; i++)
            {
                total += Math.Max(1, members[i].Weight ?? 1);
                cumulative[i] = total;
            }
            groups.Add(new Group(rule.Match, [.. rule.Teams.Distinct(StringComparer.Ordinal)], routes, cumulative, total));
        }
        _groups = groups.ToArray();
    }

    /// <summary>Where a request no rule matches (or with no model) goes: the first provider, model unchanged.</summary>
    public Route Default { get; }

    /// <summary>
    /// The first group that applies to <paramref name="team"/> (the caller's team id; null in pass-through
    /// mode, where only rules without teams apply) and matches <paramref name="model"/>. A request without a
    /// model goes to a team's pinned <c>*</c> rule if it has one, else to <see cref="Default"/>.
    /// </summary>
    public Route Resolve(string? model, string? team = null) => Match(model, team)?.Pick() ?? Default;

    /// <summary>
    /// The highest <paramref name="price"/> over every model a request for <paramref name="model"/> may be
    /// served as: each weighted route of its rule and their fallbacks, by alias (or the model itself where a
    /// step keeps it). A budget holds this worst case, whichever route the pick takes: an alias can point a
    /// cheap-looking name at an expensive model.
    /// </summary>
    public decimal MostExpensive(string model, string? team, Func<string, decimal> price)
    {
        if (Match(model, team) is not { } group)
        {
            return price(model);
        }
        decimal most = 0;
        foreach (var route in group.Routes)
        {
            foreach (var step in route.Steps)
            {
                most = Math.Max(most, price(step.Alias ?? model));
            }
        }
        return most;
    }

    private Group? Match(string? model, string? team)
    {
        foreach (var group in _groups)
        {
            if (group.Teams.Length > 0 && (team is null || Array.IndexOf(group.Teams, team) < 0))
            {
                continue;
            }
            if (model is null ? group.Teams.Length > 0 && group.Match == "*" : ModelPattern.Matches(group.Match, model))
            {
                return group;
            }
        }
        return null;
    }

    private static bool SameTeams(string[] a, string[] b) =>
        a.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).SequenceEqual(b.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));

    private static Route BuildRoute(RouteRule rule, RouteRule[] group, UpstreamDirectory directory)
    {
        var steps = new List<RouteStep> { new(Provider(rule.Provider), NullIfEmpty(rule.Alias)) };
        foreach (var fallback in rule.Fallbacks)
        {
            // A fallback provider gets the alias a rule of the same group gives it, else the client's model.
            var sibling = group.FirstOrDefault(r => r.Provider.Equals(fallback, StringComparison.OrdinalIgnoreCase));
            steps.Add(new RouteStep(Provider(fallback), NullIfEmpty(sibling?.Alias)));
        }
        return new Route(steps);

        UpstreamProvider Provider(string name) =>
            directory.Find(name) ?? throw new InvalidOperationException($"Routing names an unknown provider '{name}'.");
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;

    private sealed record Group(string Match, string[] Teams, Route[] Routes, int[] Cumulative, int Total)
    {
        public Route Pick()
        {
            if (Routes.Length == 1)
            {
                return Routes[0];
            }
            var ticket = Random.Shared.Next(Total);
            for (var i = 0; i < Cumulative.Length; i++)
            {
                if (ticket < Cumulative[i])
                {
                    return Routes[i];
                }
            }
            return Routes[^1];
        }
    }
}

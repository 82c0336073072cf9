using Gateway.Front.Forwarding;
using Gateway.Grains.Pricing;
using Microsoft.Extensions.Options;

namespace Gateway.Front.Routing;

/// <summary>One provider to try, and the model name to send it (null: the body goes unchanged).</summary>
public sealed record RouteStep(UpstreamProvider Provider, string? Alias);

/// <summary>The providers to try for one request, in order: the routed one, then its fallbacks.</summary>
public sealed record Route(IReadOnlyList<RouteStep> Steps);

/// <summary>
/// Ordered rules, first match wins; rules sharing a <c>Match</c> form a group that splits traffic by
/// weight. Routes are built once at start, so resolving allocates nothing.
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
            if (groups.Any(g => g.Match.Equals(rule.Match, StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }
            var members = rules.Where(r => r.Match.Equals(rule.Match, StringComparison.OrdinalIgnoreCase)).ToArray();
            var routes = members.Select(m => BuildRoute(m, members, directory)).ToArray();
            var cumulative = new int[members.Length];
            var total = 0;
            for (var i = 0; i < members.Length; i++)
            {
                total += Math.Max(1, members[i].Weight ?? 1);
                cumulative[i] = total;
            }
            groups.Add(new Group(rule.Match, routes, cumulative, total));
        }
        _groups = groups.ToArray();
    }

    /// <summary>Where a request no rule matches (or with no model) goes: the first provider, model unchanged.</summary>
    public Route Default { get; }

    public Route Resolve(string? model)
    {
        if (model is null)
        {
            return Default;
        }
        foreach (var group in _groups)
        {
            if (ModelPattern.Matches(group.Match, model))
            {
                return group.Pick();
            }
        }
        return Default;
    }

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

    private sealed record Group(string Match, Route[] Routes, int[] Cumulative, int Total)
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

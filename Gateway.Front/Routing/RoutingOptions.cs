namespace Gateway.Front.Routing;

/// <summary>Which provider serves which model. Section <c>Routing</c>; see docs/routing.md.</summary>
public sealed class RoutingOptions
{
    public const string Section = "Routing";

    /// <summary>Ordered; the first rule whose <see cref="RouteRule.Match"/> matches the model wins.</summary>
    public RouteRule[] Rules { get; set; } = [];
}

/// <summary>One routing rule. Section <c>Routing:Rules:N</c>.</summary>
public sealed class RouteRule
{
    /// <summary>An exact model name or a glob (<c>*</c>, <c>?</c>; case-insensitive).</summary>
    public string Match { get; set; } = "";

    /// <summary>The provider's <c>Name</c> in <c>Upstream:Providers</c> (<c>anthropic</c> with the flat configuration).</summary>
    public string Provider { get; set; } = "";

    /// <summary>If set, the request's top-level <c>model</c> is rewritten to this before it goes to <see cref="Provider"/>.</summary>
    public string? Alias { get; set; }

    /// <summary>Rules with the same <see cref="Match"/> split traffic in proportion to their weights (default 1).</summary>
    public int? Weight { get; set; }

    /// <summary>Providers tried in order when <see cref="Provider"/> answers 529 or is down (connect failure, circuit open).</summary>
    public string[] Fallbacks { get; set; } = [];

    /// <summary>
    /// Team ids (<c>team_…</c>): if set, the rule applies only to requests whose key belongs to one of
    /// them, so a team can be pinned to its own provider (its own workspace keys, hence its own prompt
    /// cache). A pinned rule with <c>Match</c> <c>*</c> also takes the team's requests without a model.
    /// </summary>
    public string[] Teams { get; set; } = [];
}

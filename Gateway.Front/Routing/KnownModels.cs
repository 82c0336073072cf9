namespace Gateway.Front.Routing;

/// <summary>One entry of the model list: Anthropic's <c>{"type":"model","id","display_name","created_at"}</c>.</summary>
public sealed record ListedModel(string Id, string DisplayName, DateTimeOffset CreatedAt);

/// <summary>
/// The Claude models the gateway lists when the routing table answers <c>GET /v1/models</c> (newest first, as
/// Anthropic lists them), in Anthropic's dated ids: every provider kind the gateway speaks serves them (Vertex's
/// ids are mapped from these). A model not here is listed when a routing rule names it exactly.
/// </summary>
public static class KnownModels
{
    public static IReadOnlyList<ListedModel> All { get; } =
    [
        new("claude-opus-4-5-20251101", "Claude Opus 4.5", new DateTimeOffset(2025, 11, 24, 0, 0, 0, TimeSpan.Zero)),
        new("claude-haiku-4-5-20251001", "Claude Haiku 4.5", new DateTimeOffset(2025, 10, 15, 0, 0, 0, TimeSpan.Zero)),
        new("claude-sonnet-4-5-20250929", "Claude Sonnet 4.5", new DateTimeOffset(2025, 9, 29, 0, 0, 0, TimeSpan.Zero)),
        new("claude-opus-4-1-20250805", "Claude Opus 4.1", new DateTimeOffset(2025, 8, 5, 0, 0, 0, TimeSpan.Zero)),
        new("claude-opus-4-20250514", "Claude Opus 4", new DateTimeOffset(2025, 5, 22, 0, 0, 0, TimeSpan.Zero)),
        new("claude-sonnet-4-20250514", "Claude Sonnet 4", new DateTimeOffset(2025, 5, 22, 0, 0, 0, TimeSpan.Zero)),
        new("claude-3-7-sonnet-20250219", "Claude Sonnet 3.7", new DateTimeOffset(2025, 2, 24, 0, 0, 0, TimeSpan.Zero)),
        new("claude-3-5-haiku-20241022", "Claude Haiku 3.5", new DateTimeOffset(2024, 10, 22, 0, 0, 0, TimeSpan.Zero)),
    ];

    /// <summary>The date a name a rule gives (an alias of the operator's) is listed with: it has no release date.</summary>
    public static DateTimeOffset RuleNameDate { get; } = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
}

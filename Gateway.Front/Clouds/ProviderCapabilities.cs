using System.Net.Http.Headers;
using Gateway.Front.Metrics;
using Gateway.Front.Upstreams;

namespace Gateway.Front.Clouds;

/// <summary>
/// What one provider kind accepts of what Anthropic's API accepts: which <c>anthropic-beta</c> values, which
/// top-level body fields and which <c>cache_control</c> members. What it would refuse with a 400 is dropped (or,
/// for a beta it takes in the body only, moved there) before the request leaves, and each drop is counted in
/// <c>gateway_capability_drops_total</c>: a client never gets a 400 for a feature its route cannot serve.
/// Everything else passes byte for byte: <c>cache_control</c> itself (with its <c>ttl</c>), thinking blocks
/// (signature-only ones included), unknown fields. docs/providers.md ("Capabilities per provider") lists the table.
/// </summary>
public sealed class ProviderCapabilities
{
    // Declared first: the static tables below use it.
    private static readonly IReadOnlySet<string> Empty = new HashSet<string>();

    private ProviderCapabilities(string kind, IReadOnlySet<string>? headerBetas, IReadOnlySet<string> bodyBetas,
        IReadOnlySet<string> countTokensDrops, string[] droppedFields, string[] droppedCacheControl)
    {
        Kind = kind;
        HeaderBetas = headerBetas;
        BodyBetas = bodyBetas;
        CountTokensDroppedBetas = countTokensDrops;
        DroppedFields = droppedFields;
        DroppedCacheControlMembers = droppedCacheControl;
        DroppedFieldBytes = droppedFields.Select(System.Text.Encoding.UTF8.GetBytes).ToArray();
        DroppedCacheControlBytes = droppedCacheControl.Select(System.Text.Encoding.UTF8.GetBytes).ToArray();
    }

    /// <summary>The names as UTF-8, for the body filter's first look (no allocation per request).</summary>
    internal byte[][] DroppedFieldBytes { get; }

    internal byte[][] DroppedCacheControlBytes { get; }

    public string Kind { get; }

    /// <summary>The betas the provider takes in the <c>anthropic-beta</c> header; null: every one (no filtering).</summary>
    public IReadOnlySet<string>? HeaderBetas { get; }

    /// <summary>Betas the provider refuses in the header but takes in the body's <c>anthropic_beta</c> (moved, not dropped).</summary>
    public IReadOnlySet<string> BodyBetas { get; }

    /// <summary>Betas its count-tokens endpoint refuses though its Messages endpoint takes them.</summary>
    public IReadOnlySet<string> CountTokensDroppedBetas { get; }

    /// <summary>Top-level body fields the provider refuses; dropped.</summary>
    public IReadOnlyList<string> DroppedFields { get; }

    /// <summary>Members of any <c>cache_control</c> object the provider refuses; dropped (the breakpoint itself stays).</summary>
    public IReadOnlyList<string> DroppedCacheControlMembers { get; }

    /// <summary>Whether a body may need a pass at all (the Anthropic API and Foundry take everything).</summary>
    public bool FiltersBody => DroppedFields.Count > 0 || DroppedCacheControlMembers.Count > 0;

    /// <summary>Anthropic's API, and Anthropic-compatible or OpenAI-compatible providers: everything passes.</summary>
    public static ProviderCapabilities Anthropic { get; } = new(UpstreamProviderOptions.AnthropicKind, null, Empty, Empty, [], []);

    /// <summary>
    /// Microsoft Foundry runs Claude on Anthropic's own service: the Messages API takes what Anthropic's takes
    /// (Foundry lacks the Models, Batches and Admin APIs, which the gateway answers or refuses itself).
    /// </summary>
    public static ProviderCapabilities Foundry { get; } = new(UpstreamProviderOptions.FoundryKind, null, Empty, Empty, [], []);

    /// <summary>
    /// Vertex AI checks <c>anthropic-beta</c> against its own list ("Unexpected value(s) … for the
    /// <c>anthropic-beta</c> header") and takes the 1M-context beta only in the body; its count-tokens endpoint also
    /// refuses the web-search beta. The MCP connector (<c>mcp_servers</c>), the code-execution/skills
    /// <c>container</c> and <c>cache_control.scope</c> are Anthropic-API features it does not serve.
    /// <c>cache_control</c> and its <c>ttl</c>, <c>context_management</c>, <c>thinking</c> and <c>output_config</c> pass.
    /// </summary>
    public static ProviderCapabilities Vertex { get; } = new(UpstreamProviderOptions.VertexKind,
        Set("claude-code-20250219", "interleaved-thinking-2025-05-14", "fine-grained-tool-streaming-2025-05-14",
            "token-efficient-tools-2025-02-19", "output-128k-2025-02-19", "tool-search-tool-2025-10-19", "effort-2025-11-24",
            "context-management-2025-06-27", "web-search-2025-03-05", "thinking-token-count-2026-05-13", "computer-use-2024-10-22",
            "computer-use-2025-01-24", "computer-use-2025-11-24", "extended-cache-ttl-2025-04-11", "prompt-caching-2024-07-31",
            "tool-examples-2025-10-29"),
        Set("context-1m-2025-08-07"),
        Set("web-search-2025-03-05"),
        ["mcp_servers", "container"],
        ["scope"]);

    /// <summary>
    /// Bedrock's InvokeModel for Claude: the betas travel in the body's <c>anthropic_beta</c> (the request's
    /// <c>anthropic-*</c> headers never leave; the Bedrock upstream moves them there), so no header list
    /// here. Dropped, as reported refused: <c>cache_control.scope</c> (a ValidationException since Claude Code 2.1.38
    /// started sending <c>"scope":"global"</c>) and <c>mcp_servers</c> (Anthropic's MCP connector is "not available on
    /// Amazon Bedrock"). <c>cache_control</c> and its <c>ttl</c>, <c>context_management</c>, <c>thinking</c>,
    /// <c>container</c> and unknown fields pass: nothing documents Bedrock refusing them, and a wrong drop silently
    /// changes what the model does where a wrong pass shows as Bedrock's own 400.
    /// </summary>
    public static ProviderCapabilities Bedrock { get; } = new(UpstreamProviderOptions.BedrockKind, null, Empty, Empty,
        ["mcp_servers"],
        ["scope"]);

    public static ProviderCapabilities For(UpstreamProvider provider) =>
        provider.IsVertex ? Vertex : provider.IsBedrock ? Bedrock : provider.IsFoundry ? Foundry : Anthropic;

    /// <summary>
    /// Drops the header betas the provider refuses (each counted), keeping the order of the rest. The betas it takes
    /// in the body only were moved there by the body's rewrite (<see cref="BodyBetasOf"/>) and are dropped here too.
    /// </summary>
    public void FilterBetaHeader(HttpRequestHeaders headers, string provider, bool countTokens = false)
    {
        if (HeaderBetas is null || !headers.TryGetValues(BetaHeader, out var values))
        {
            return;
        }
        List<string>? kept = null;
        var changed = false;
        foreach (var value in values)
        {
            foreach (var part in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                kept ??= [];
                if (HeaderBetas.Contains(part) && !(countTokens && CountTokensDroppedBetas.Contains(part)))
                {
                    kept.Add(part);
                    continue;
                }
                changed = true;
                if (!BodyBetas.Contains(part))
                {
                    FrontMetrics.CapabilityDropped(provider, "beta", BetaLabel(part));
                }
            }
        }
        if (!changed)
        {
            return;
        }
        headers.Remove(BetaHeader);
        if (kept is { Count: > 0 })
        {
            headers.TryAddWithoutValidation(BetaHeader, string.Join(',', kept));
        }
    }

    /// <summary>The client's header betas this provider takes in the body's <c>anthropic_beta</c> (empty for most).</summary>
    public string[] BodyBetasOf(IEnumerable<string> headerValues)
    {
        if (BodyBetas.Count == 0)
        {
            return [];
        }
        List<string>? moved = null;
        foreach (var value in headerValues)
        {
            foreach (var part in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (BodyBetas.Contains(part) && (moved is null || !moved.Contains(part)))
                {
                    (moved ??= []).Add(part);
                }
            }
        }
        return moved?.ToArray() ?? [];
    }

    public const string BetaHeader = "anthropic-beta";

    /// <summary>A beta name is client text: only a plain, short one becomes a label value (the metric's label set is bounded too).</summary>
    private static string BetaLabel(string beta) =>
        beta.Length <= 64 && beta.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_' or '.') ? beta : "other";

    private static HashSet<string> Set(params string[] names) => new(names, StringComparer.OrdinalIgnoreCase);
}

namespace Gateway.Front.Rewrite;

/// <summary>
/// Server-side prompt-cache breakpoints (section <c>CacheInjection</c>), validated at start by
/// <see cref="CacheInjectionOptionsValidator"/>. See docs/cache-injection.md.
/// </summary>
public sealed class CacheInjectionOptions
{
    public const string Section = "CacheInjection";

    public const string DefaultDisableHeader = "x-gateway-cache-injection";

    /// <summary>On by default; a key (or route) policy and the <see cref="DisableHeader"/> can switch it off per request.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// TTL of the breakpoints the gateway adds: null or <c>"5m"</c> (Anthropic's default, written as a bare
    /// <c>{"type":"ephemeral"}</c>) or <c>"1h"</c> (written as <c>"ttl":"1h"</c>; cache writes cost 2× instead of 1.25×).
    /// </summary>
    public string? Ttl { get; set; }

    /// <summary>
    /// Per-model minimum cacheable prefix, tried in order before <see cref="BuiltInMinimums"/>; the first
    /// matching glob wins. Configure as a list: <c>CacheInjection:MinimumCacheableTokens:0:Model</c> / <c>:Tokens</c>.
    /// </summary>
    public List<ModelCacheMinimum> MinimumCacheableTokens { get; set; } = [];

    /// <summary>For models no entry matches.</summary>
    public int DefaultMinimumCacheableTokens { get; set; } = 1024;

    /// <summary>Prefix size estimate: body bytes per token (JSON bytes, so on the generous side).</summary>
    public int BytesPerToken { get; set; } = 4;

    /// <summary>Request header whose value <c>off</c> switches injection off for that request.</summary>
    public string DisableHeader { get; set; } = DefaultDisableHeader;

    /// <summary>
    /// Anthropic's minimum cacheable prompt lengths as published when this table was written (platform
    /// docs as quoted by LiteLLM's prompt-caching page, 2026-10, and Anthropic's docs for the 4.x models):
    /// 512 for Opus 5 / Fable 5 / Mythos 5, 2048 for Opus 4.7 and the 3.x Haikus, 4096 for Opus 4.5/4.6
    /// and Haiku 4.5; everything else (Sonnet 4.x/5, Opus 4/4.1/4.8, 3.7) is the 1024 default.
    /// </summary>
    public static readonly IReadOnlyList<ModelCacheMinimum> BuiltInMinimums =
    [
        new() { Model = "claude-opus-5*", Tokens = 512 },
        new() { Model = "claude-fable-5*", Tokens = 512 },
        new() { Model = "claude-mythos-5*", Tokens = 512 },
        new() { Model = "claude-opus-4-5*", Tokens = 4096 },
        new() { Model = "claude-opus-4-6*", Tokens = 4096 },
        new() { Model = "claude-opus-4-7*", Tokens = 2048 },
        new() { Model = "claude-haiku-4*", Tokens = 4096 },
        new() { Model = "claude-3-5-haiku*", Tokens = 2048 },
        new() { Model = "claude-3-haiku*", Tokens = 2048 },
    ];
}

using Gateway.Grains.Abstractions;

namespace Gateway.Front.Audit;

/// <summary>
/// One row of <c>request_log</c>: metadata of one request, never its text. Filled by the front when
/// the response ends and written to Postgres in batches, off the response path.
/// </summary>
public sealed class AuditRecord
{
    public required DateTimeOffset At { get; init; }
    public required string RequestId { get; init; }
    public string? KeyId { get; init; }
    public string? TeamId { get; init; }
    public string? BillingTag { get; init; }
    public string? SessionId { get; init; }

    /// <summary>The signed-in person's user key id (<c>usr_…</c>); null for a plain key's request.</summary>
    public string? UserId { get; init; }

    /// <summary>Claude Code's <c>x-claude-code-agent-id</c> / <c>x-claude-code-parent-agent-id</c>: sub-agent trees.</summary>
    public string? AgentId { get; init; }
    public string? ParentAgentId { get; init; }

    public required string ModelRequested { get; init; }
    public string? ModelServed { get; init; }
    public string Provider { get; init; } = "anthropic";
    public string? UpstreamKeyId { get; init; }
    public required string Endpoint { get; init; }
    public required int Status { get; init; }
    public string? ErrorType { get; init; }
    public bool Stream { get; init; }

    /// <summary>The row keeps input, output, cache-write and cache-read counts (not the 1-hour part of the writes).</summary>
    public TokenUsage Tokens { get; init; }
    public decimal CostUsd { get; init; }

    /// <summary>What the cache reads saved minus what the cache writes cost extra, versus no caching.</summary>
    public decimal CacheSavingsUsd { get; init; }
    public double LatencyMs { get; init; }
    public double? TimeToFirstByteMs { get; init; }
    public int ToolCallCount { get; init; }
    public IReadOnlyList<string> ToolNames { get; init; } = [];
    public int CacheBreakpoints { get; init; }

    /// <summary>Hash of the stable prompt prefix (tools + system), hex; equal hashes are repeated prompts.</summary>
    public string? PromptPrefixHash { get; init; }
    public int RequestBytes { get; init; }
    public string? UserAgent { get; init; }
    public int Attempts { get; init; }
}

using Gateway.Grains.Abstractions;

namespace Gateway.Grains.Storage;

/// <summary>
/// Each session's usage totals (<c>session_usage</c>), so a <c>SessionGrain</c> activated anew (after
/// idling, or on another silo) resumes its counts. The grain writes absolute totals, never deltas,
/// so a repeated write is harmless.
/// </summary>
public interface ISessionStore
{
    /// <summary>The session's saved totals, or null when none were saved.</summary>
    Task<SessionUsageRecord?> LoadAsync(string sessionId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Upserts the session's totals. Totals only grow, so a write with fewer requests than the saved
    /// row (a late write from an older activation) is ignored.
    /// </summary>
    Task SaveAsync(SessionUsageRecord usage, CancellationToken cancellationToken = default);
}

/// <summary>A row of <c>session_usage</c>: one session's totals so far.</summary>
public sealed record SessionUsageRecord
{
    public required string SessionId { get; init; }
    public string? KeyId { get; init; }
    public string? TeamId { get; init; }
    public required DateTimeOffset FirstSeen { get; init; }
    public required DateTimeOffset LastSeen { get; init; }
    public long Requests { get; init; }
    /// <summary>The row keeps input, output, cache-write and cache-read counts.</summary>
    public TokenUsage Tokens { get; init; }
    public decimal CostUsd { get; init; }
    public decimal CacheSavingsUsd { get; init; }
    public long ToolCalls { get; init; }
}

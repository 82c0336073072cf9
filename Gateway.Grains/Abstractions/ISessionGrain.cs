namespace Gateway.Grains.Abstractions;

/// <summary>
/// One Claude Code session (conversation): usage, request and tool-call counts, first and last seen.
/// Deactivates when idle; millions exist over a day. Its totals are kept in <c>session_usage</c>
/// (flushed about every second and on deactivation), so a session moved to another silo keeps them.
/// </summary>
public interface ISessionGrain : IGrainWithStringKey
{
    /// <summary>Admits one more request under the session's limits (null limits: always admitted).</summary>
    Task<LeaseDenial?> AdmitAsync(string keyId, SessionLimits? limits);

    /// <summary>
    /// As <see cref="AdmitAsync"/>, and also the counts the answer was based on, so a front can go on
    /// deciding from them (plus its own settlements) for a moment without asking again.
    /// </summary>
    Task<SessionStanding> CheckAsync(string keyId, SessionLimits? limits);

    /// <summary>
    /// For a session with a request cap: hands back the front's unused admissions and grants it more (at most half of
    /// what the cap has left, at least one), counted as used until handed back, so fronts together never admit past
    /// the cap. Also answers as <see cref="CheckAsync"/> does, for the cost cap.
    /// </summary>
    Task<SessionStanding> ReserveAsync(SessionReservation reservation);

    Task RecordAsync(SessionCharge charge);

    Task<SessionUsageView> GetUsageAsync();
}

/// <summary>A session's answer to <see cref="ISessionGrain.CheckAsync"/>.</summary>
[GenerateSerializer, Immutable]
public sealed record SessionStanding
{
    /// <summary>Null: admitted.</summary>
    [Id(0)] public LeaseDenial? Denial { get; init; }

    /// <summary>Whether the asking key owns the session; a key that does not is admitted without its counts.</summary>
    [Id(1)] public bool Owned { get; init; }

    /// <summary>Requests recorded so far (settled ones; requests in flight are not counted).</summary>
    [Id(2)] public long Requests { get; init; }

    [Id(3)] public decimal CostUsd { get; init; }

    /// <summary>Admissions granted to the asking front by <see cref="ISessionGrain.ReserveAsync"/>.</summary>
    [Id(4)] public long Granted { get; init; }
}

/// <summary>A front's ask for admissions under a session's request cap, with the ones it did not use.</summary>
[GenerateSerializer, Immutable]
public sealed record SessionReservation
{
    [Id(0)] public required string KeyId { get; init; }
    [Id(1)] public required SessionLimits Limits { get; init; }
    [Id(2)] public long Wanted { get; init; }
    [Id(3)] public long Returned { get; init; }
}

[GenerateSerializer, Immutable]
public sealed record SessionCharge
{
    [Id(0)] public required string KeyId { get; init; }
    [Id(1)] public long InputTokens { get; init; }
    [Id(2)] public long OutputTokens { get; init; }
    [Id(3)] public long CacheCreationInputTokens { get; init; }
    [Id(4)] public long CacheReadInputTokens { get; init; }
    [Id(5)] public decimal CostUsd { get; init; }
    [Id(6)] public int ToolCalls { get; init; }
    [Id(7)] public DateTimeOffset At { get; init; }

    /// <summary>The key's team, kept on the session's row (<c>session_usage.team_id</c>); optional.</summary>
    [Id(8)] public string? TeamId { get; init; }

    /// <summary>What prompt caching saved on this request versus no caching, in USD (negative when writes were not reused).</summary>
    [Id(9)] public decimal CacheSavingsUsd { get; init; }

    /// <summary>
    /// Requests this charge stands for: a front sends the charges of one session that settled in the same flush
    /// as one call (one grain call per session per flush, not per request). 1 from a front that sends one per request.
    /// </summary>
    [Id(10)] public int Requests { get; init; } = 1;

    /// <summary>The earliest request of a combined charge (<see cref="At"/> is the latest); null: <see cref="At"/>.</summary>
    [Id(11)] public DateTimeOffset? FirstAt { get; init; }

    /// <summary>Two charges of the same session and key as one.</summary>
    public SessionCharge CombineWith(SessionCharge other) => this with
    {
        TeamId = TeamId ?? other.TeamId,
        Tokens = Tokens + other.Tokens,
        CostUsd = CostUsd + other.CostUsd,
        CacheSavingsUsd = CacheSavingsUsd + other.CacheSavingsUsd,
        ToolCalls = ToolCalls + other.ToolCalls,
        Requests = Requests + other.Requests,
        At = At >= other.At ? At : other.At,
        FirstAt = Min(FirstAt ?? At, other.FirstAt ?? other.At),
    };

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a <= b ? a : b;

    /// <summary>The counts above as one value; reads and sets those fields, which keep their Ids (sessions keep no 1-hour split).</summary>
    public TokenUsage Tokens
    {
        get => new(InputTokens, OutputTokens, CacheCreationInputTokens, CacheReadInputTokens);
        init => (InputTokens, OutputTokens, CacheCreationInputTokens, CacheReadInputTokens) = (value.Input, value.Output, value.CacheCreation, value.CacheRead);
    }
}

[GenerateSerializer, Immutable]
public sealed record SessionUsageView
{
    [Id(0)] public string? KeyId { get; init; }
    [Id(1)] public long Requests { get; init; }
    [Id(2)] public long InputTokens { get; init; }
    [Id(3)] public long OutputTokens { get; init; }
    [Id(4)] public long CacheCreationInputTokens { get; init; }
    [Id(5)] public long CacheReadInputTokens { get; init; }
    [Id(6)] public decimal CostUsd { get; init; }
    [Id(7)] public long ToolCalls { get; init; }
    [Id(8)] public DateTimeOffset? FirstSeen { get; init; }
    [Id(9)] public DateTimeOffset? LastSeen { get; init; }
    [Id(10)] public string? TeamId { get; init; }
    [Id(11)] public decimal CacheSavingsUsd { get; init; }

    /// <summary>The counts above as one value; reads and sets those fields, which keep their Ids.</summary>
    public TokenUsage Tokens
    {
        get => new(InputTokens, OutputTokens, CacheCreationInputTokens, CacheReadInputTokens);
        init => (InputTokens, OutputTokens, CacheCreationInputTokens, CacheReadInputTokens) = (value.Input, value.Output, value.CacheCreation, value.CacheRead);
    }
}

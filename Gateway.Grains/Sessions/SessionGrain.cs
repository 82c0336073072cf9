using Gateway.Grains.Abstractions;

namespace Gateway.Grains.Sessions;

/// <summary>
/// Usage of one client session (a Claude Code conversation), across every front. Small and
/// short-lived: collected after ten idle minutes, so a day's millions of sessions never pile up.
/// </summary>
[CollectionAgeLimit(Minutes = 10)]
public sealed class SessionGrain : Grain, ISessionGrain
{
    private string? _keyId;
    private long _requests;
    private long _inputTokens;
    private long _outputTokens;
    private long _cacheWriteTokens;
    private long _cacheReadTokens;
    private decimal _cost;
    private long _toolCalls;
    private DateTimeOffset? _firstSeen;
    private DateTimeOffset? _lastSeen;

    /// <summary>Checks the limits against what was recorded so far; recording counts the request.</summary>
    public Task<LeaseDenial?> AdmitAsync(string keyId, SessionLimits? limits)
    {
        _keyId ??= keyId;
        if (limits?.MaxRequests is { } maxRequests && _requests >= maxRequests)
        {
            return Task.FromResult<LeaseDenial?>(new LeaseDenial
            {
                Reason = DenialReason.SessionRequests,
                Message = $"This session has reached its limit of {maxRequests} requests; start a new session.",
                RetryAfter = TimeSpan.FromMinutes(1),
            });
        }
        if (limits?.MaxCostUsd is { } maxCost && _cost >= maxCost)
        {
            return Task.FromResult<LeaseDenial?>(new LeaseDenial
            {
                Reason = DenialReason.SessionBudget,
                Message = $"This session has spent its budget of ${maxCost:0.##} (${_cost:0.####}); start a new session.",
                RetryAfter = TimeSpan.FromMinutes(1),
            });
        }
        return Task.FromResult<LeaseDenial?>(null);
    }

    public Task RecordAsync(SessionCharge charge)
    {
        _keyId ??= charge.KeyId;
        _requests++;
        _firstSeen ??= charge.At;
        _lastSeen = charge.At > _lastSeen ? charge.At : _lastSeen ?? charge.At;
        _inputTokens += charge.InputTokens;
        _outputTokens += charge.OutputTokens;
        _cacheWriteTokens += charge.CacheCreationInputTokens;
        _cacheReadTokens += charge.CacheReadInputTokens;
        _cost += charge.CostUsd;
        _toolCalls += charge.ToolCalls;
        return Task.CompletedTask;
    }

    public Task<SessionUsageView> GetUsageAsync() => Task.FromResult(new SessionUsageView
    {
        KeyId = _keyId,
        Requests = _requests,
        InputTokens = _inputTokens,
        OutputTokens = _outputTokens,
        CacheCreationInputTokens = _cacheWriteTokens,
        CacheReadInputTokens = _cacheReadTokens,
        CostUsd = _cost,
        ToolCalls = _toolCalls,
        FirstSeen = _firstSeen,
        LastSeen = _lastSeen,
    });
}

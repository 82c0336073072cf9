using Gateway.Grains.Abstractions;

namespace Gateway.Grains.Sessions;

/// <summary>
/// The session-limit rule, in one place: the grain applies it to its recorded counts, and a front to
/// the counts the grain last gave it plus the front's own settlements since.
/// </summary>
public static class SessionLimitCheck
{
    /// <summary>Null: the session may go on.</summary>
    public static LeaseDenial? Deny(SessionLimits? limits, long requests, decimal costUsd)
    {
        if (limits?.MaxRequests is { } maxRequests && requests >= maxRequests)
        {
            return new LeaseDenial
            {
                Reason = DenialReason.SessionRequests,
                Message = $"This session has reached its limit of {maxRequests} requests; start a new session.",
                RetryAfter = TimeSpan.FromMinutes(1),
            };
        }
        if (limits?.MaxCostUsd is { } maxCost && costUsd >= maxCost)
        {
            return new LeaseDenial
            {
                Reason = DenialReason.SessionBudget,
                Message = $"This session has spent its budget of ${maxCost:0.##} (${costUsd:0.####}); start a new session.",
                RetryAfter = TimeSpan.FromMinutes(1),
            };
        }
        return null;
    }

    /// <summary>
    /// Admissions granted ahead to a front under a request cap: half of what is left (so another front asking next
    /// still finds some), at least one; none when <paramref name="denial"/> stands.
    /// </summary>
    public static long Grant(SessionLimits limits, long admitted, long wanted, LeaseDenial? denial)
    {
        if (denial is not null || wanted <= 0)
        {
            return 0;
        }
        var left = limits.MaxRequests is { } max ? max - admitted : long.MaxValue;
        return Math.Min(wanted, Math.Max(1, left / 2));
    }
}

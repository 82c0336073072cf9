using Gateway.Grains.Abstractions;
using Gateway.Grains.Sessions;

namespace Gateway.Tests.Admission;

/// <summary>
/// A session grain whose counts the test sets (as if settlements had arrived), answering with the grain's own
/// limit rule and counting how often it was asked.
/// </summary>
internal sealed class CountingSessionGrain : ISessionGrain
{
    public long Requests { get; set; }

    public decimal CostUsd { get; set; }

    /// <summary>False: the session belongs to another key.</summary>
    public bool Owned { get; set; } = true;

    public int Checks { get; private set; }

    public Task<SessionStanding> CheckAsync(string keyId, SessionLimits? limits)
    {
        Checks++;
        return Task.FromResult(Owned
            ? new SessionStanding { Owned = true, Requests = Requests, CostUsd = CostUsd, Denial = SessionLimitCheck.Deny(limits, Requests, CostUsd) }
            : new SessionStanding { Owned = false });
    }

    public Task<LeaseDenial?> AdmitAsync(string keyId, SessionLimits? limits) => throw new NotSupportedException();

    public Task RecordAsync(SessionCharge charge) => throw new NotSupportedException();

    public Task<SessionUsageView> GetUsageAsync() => throw new NotSupportedException();
}

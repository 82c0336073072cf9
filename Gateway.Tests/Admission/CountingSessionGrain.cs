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

    /// <summary>Admissions granted and not handed back (request caps), as the real grain counts them.</summary>
    public long Admitted { get; private set; }

    public int Reserves { get; private set; }

    /// <summary>The real grain's rule (SessionGrain.ReserveAsync) over the counts the test sets.</summary>
    public Task<SessionStanding> ReserveAsync(SessionReservation reservation)
    {
        Reserves++;
        if (!Owned)
        {
            return Task.FromResult(new SessionStanding { Owned = false, Granted = reservation.Wanted });
        }
        Admitted = Math.Max(Requests, Admitted - reservation.Returned);
        var denial = SessionLimitCheck.Deny(reservation.Limits, Admitted, CostUsd);
        var granted = SessionLimitCheck.Grant(reservation.Limits, Admitted, reservation.Wanted, denial);
        Admitted += granted;
        return Task.FromResult(new SessionStanding { Owned = true, Requests = Requests, CostUsd = CostUsd, Denial = denial, Granted = granted });
    }

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

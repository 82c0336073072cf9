using Gateway.Grains.Abstractions;
using Gateway.Grains.Sessions;

namespace Gateway.Front.Admission;

/// <summary>
/// This front's admissions for one session under a request cap, granted ahead by the session's grain. Requests take
/// one locally; when none is left (or they lapsed, after <see cref="AdmissionOptions.SessionCheckInterval"/>) one
/// call, shared by every request waiting on it, hands back the unused ones and asks for about an interval of this
/// front's recent traffic. A refusal stands for an interval, so a session at its cap costs one grain call a second.
/// </summary>
public sealed class CappedSession
{
    private const int MaxAttempts = 8;
    private const long MaxWanted = 1000;

    private readonly string _sessionId;
    private readonly string _keyId;
    private readonly SessionCheck _owner;
    private readonly object _gate = new();
    private long _count;
    private long _grantedAt;
    private long _usedSinceGrant;
    private double _perSecond;
    private decimal _cost;
    private bool _foreign;
    private LeaseDenial? _denial;
    private long _deniedAt;
    private Task<SessionStanding>? _pending;
    private bool _retired;

    internal CappedSession(string sessionId, string keyId, SessionCheck owner)
    {
        _sessionId = sessionId;
        _keyId = keyId;
        _owner = owner;
    }

    public enum LapseResult
    {
        Live,
        HandBack,
        Idle,
    }

    /// <summary>
    /// Denial null: admitted (one admission taken). Retired: the sweep dropped this entry; ask the new one. Throws when
    /// the grain cannot be reached within the attempts.
    /// </summary>
    public async ValueTask<(bool Retired, LeaseDenial? Denial)> AdmitAsync(SessionLimits limits)
    {
        for (var attempt = 0; ; attempt++)
        {
            Task<SessionStanding> pending;
            lock (_gate)
            {
                if (_retired)
                {
                    return (true, null);
                }
                var now = _owner.NowTimestamp;
                if (_foreign && Valid(_grantedAt, now))
                {
                    return (false, null); // another key's session: neither its cap nor its counts are this key's
                }
                if (SessionLimitCheck.Deny(limits with { MaxRequests = null }, 0, _cost) is { } overBudget)
                {
                    return (false, overBudget);
                }
                if (_count > 0 && Valid(_grantedAt, now))
                {
                    _count--;
                    _usedSinceGrant++;
                    return (false, null);
                }
                if (_denial is { } standing && Valid(_deniedAt, now))
                {
                    return (false, standing);
                }
                if (attempt >= MaxAttempts)
                {
                    return (false, new LeaseDenial
                    {
                        Reason = DenialReason.SessionRequests,
                        Message = $"This session's limit of {limits.MaxRequests} requests is nearly reached; retry shortly.",
                        RetryAfter = TimeSpan.FromSeconds(1),
                    });
                }
                pending = _pending is { IsCompleted: false } ? _pending : _pending = ReserveAsync(limits, now);
            }
            await pending;
        }
    }

    /// <summary>
    /// Granted admissions and refusals hold for the check interval; with an interval of zero (ask every time), just
    /// long enough for the request that asked to take its own.
    /// </summary>
    private bool Valid(long since, long now) => _owner.SinceTimestamp(since, now) < Max(_owner.CheckInterval, MinValidity);

    private static readonly TimeSpan MinValidity = TimeSpan.FromMilliseconds(250);

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>Under the lock: hands back what lapsed, asks for about one interval of this front's recent admissions.</summary>
    private async Task<SessionStanding> ReserveAsync(SessionLimits limits, long now)
    {
        var elapsed = _owner.SinceTimestamp(_grantedAt, now).TotalSeconds;
        if (_grantedAt != 0 && elapsed > 0)
        {
            _perSecond = _perSecond * 0.5 + _usedSinceGrant / Math.Max(elapsed, 0.05) * 0.5;
        }
        var wanted = Math.Clamp((long)Math.Ceiling(_perSecond * _owner.CheckInterval.TotalSeconds * 1.5), 1, MaxWanted);
        var returned = _count;
        _count = 0;
        var answer = await _owner.ReserveAsync(_sessionId, new SessionReservation { KeyId = _keyId, Limits = limits, Wanted = wanted, Returned = returned });
        lock (_gate)
        {
            _grantedAt = now;
            _usedSinceGrant = 0;
            _foreign = !answer.Owned;
            _denial = answer.Denial;
            _deniedAt = now;
            if (answer.Owned)
            {
                _count += answer.Granted;
                _cost = Math.Max(_cost, answer.CostUsd);
            }
        }
        return answer;
    }

    /// <summary>A request of the session settled on this front: its cost counts toward the cost cap from now on.</summary>
    internal void AddCost(decimal costUsd)
    {
        lock (_gate)
        {
            _cost += costUsd;
        }
    }

    /// <summary>An admission taken for a request the key then refused: the next request uses it.</summary>
    internal void GiveBack()
    {
        lock (_gate)
        {
            _count++;
            _usedSinceGrant = Math.Max(0, _usedSinceGrant - 1);
        }
    }

    /// <summary>For the sweep: whether unused admissions lapsed (hand them back), or the entry can go.</summary>
    internal LapseResult Lapse(long now)
    {
        lock (_gate)
        {
            if (_pending is { IsCompleted: false } || Valid(Math.Max(_grantedAt, _deniedAt), now))
            {
                return LapseResult.Live;
            }
            if (_count > 0)
            {
                return LapseResult.HandBack;
            }
            _retired = true;
            return LapseResult.Idle;
        }
    }

    /// <summary>Hands lapsed admissions back to the grain without asking for more.</summary>
    internal async Task HandBackAsync()
    {
        long returned;
        SessionLimits limits;
        lock (_gate)
        {
            returned = _count;
            _count = 0;
            limits = new SessionLimits();
        }
        if (returned > 0)
        {
            try
            {
                await _owner.ReserveAsync(_sessionId, new SessionReservation { KeyId = _keyId, Limits = limits, Wanted = 0, Returned = returned });
            }
            catch (Exception)
            {
                // Lost admissions, never extra ones: the session may end a few requests short of its cap.
            }
        }
    }
}

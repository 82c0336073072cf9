using System.Collections.Concurrent;
using Gateway.Grains.Abstractions;
using Gateway.Grains.Sessions;
using Microsoft.Extensions.Options;

namespace Gateway.Front.Admission;

/// <summary>
/// Session limits without a grain call per request. A request cap is held exactly across fronts: the session's grain
/// grants each front admissions ahead (<see cref="CappedSession"/>: about a second of this front's traffic, at most half
/// of what the cap has left), counts them as used until handed back, and the front admits from them locally; so
/// fronts together never pass the cap, and what one front does not use goes back within about a second.
/// For a cost cap (and a session with no request cap), the session's grain is asked (a <see cref="BoundedGrainCall"/>, so a
/// killed silo never holds a request for Orleans' 30 s timeout) and answers with its
/// counts; for <see cref="AdmissionOptions.SessionCheckInterval"/> this front then decides from those
/// counts plus its own settlements since, and asks again only when they reach a limit (the grain has the
/// last word and words the refusal) or the interval is over. A grain call is ~0.1 ms at p50 here, most of
/// what admission added. Precision: the grain counts settled requests only, so a session could always pass
/// its limit by the requests in flight; with several fronts it can also pass it by what the other fronts
/// settle within one interval.
/// </summary>
public sealed class SessionCheck : ISessionSettlements, IDisposable
{
    private readonly IGrainFactory _grains;
    private readonly AdmissionOptions _options;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<(string Session, string Key), Standing> _known = new();
    private readonly ConcurrentDictionary<(string Session, string Key), CappedSession> _capped = new();
    private readonly ITimer _sweep;

    public SessionCheck(IGrainFactory grains, IOptions<AdmissionOptions> options, TimeProvider time)
    {
        _grains = grains;
        _options = options.Value;
        _time = time;
        // Sessions are many (millions a day) and short-lived: forget the ones not seen for an interval, and hand
        // unused admissions back soon after they lapse, so another front can use them.
        var every = TimeSpan.FromSeconds(Math.Max(0.5, _options.SessionCheckInterval.TotalSeconds));
        _sweep = time.CreateTimer(_ => Sweep(), null, every, every);
    }

    /// <summary>Null: the session may go on. Throws when the grain cannot be reached within the attempts.</summary>
    public async ValueTask<LeaseDenial?> AdmitAsync(string sessionId, string keyId, SessionLimits limits)
    {
        while (limits.MaxRequests is not null)
        {
            var capped = _capped.GetOrAdd((sessionId, keyId), static (id, self) => new CappedSession(id.Session, id.Key, self), this);
            // Retired: the sweep removed it as idle just before; admissions granted to it now would never be handed back.
            var (retired, capDenial) = await capped.AdmitAsync(limits);
            if (!retired)
            {
                return capDenial;
            }
        }
        var now = _time.GetTimestamp();
        _known.TryGetValue((sessionId, keyId), out var known);
        if (known is not null && Fresh(known, now) && known.Allows(limits))
        {
            return null;
        }
        var answer = await AskAsync(sessionId, keyId, limits);
        if (answer.Denial is not null)
        {
            return answer.Denial;
        }
        // The grain may not have this front's latest settlements yet (they travel in batches): counts only
        // grow, so the larger of the two is what the session has used at least.
        var merged = new Standing(now, answer, known);
        if (merged.Denial(limits) is { } denial)
        {
            return denial;
        }
        if (_options.SessionCheckInterval > TimeSpan.Zero)
        {
            _known[(sessionId, keyId)] = merged;
        }
        return null;
    }

    /// <summary>A request of this session, on this front, was settled: it counts from now on.</summary>
    public void Settled(string sessionId, string keyId, decimal costUsd)
    {
        if (_known.TryGetValue((sessionId, keyId), out var known))
        {
            known.Add(costUsd);
        }
        if (_capped.TryGetValue((sessionId, keyId), out var capped))
        {
            capped.AddCost(costUsd);
        }
    }

    /// <summary>The session admitted a request the key then refused: its admission goes back to be used by the next one.</summary>
    public void Unused(string sessionId, string keyId)
    {
        if (_capped.TryGetValue((sessionId, keyId), out var capped))
        {
            capped.GiveBack();
        }
    }

    private bool Fresh(Standing known, long now) => _time.GetElapsedTime(known.FetchedAt, now) < _options.SessionCheckInterval;

    private Task<SessionStanding> AskAsync(string sessionId, string keyId, SessionLimits limits) =>
        BoundedGrainCall.RunAsync(() => _grains.GetGrain<ISessionGrain>(sessionId).CheckAsync(keyId, limits), _options);

    private void Sweep()
    {
        var now = _time.GetTimestamp();
        foreach (var (id, known) in _known)
        {
            if (!Fresh(known, now))
            {
                _known.TryRemove(id, out _);
            }
        }
        foreach (var (id, capped) in _capped)
        {
            switch (capped.Lapse(now))
            {
                case CappedSession.LapseResult.Idle:
                    _capped.TryRemove(id, out _);
                    break;
                case CappedSession.LapseResult.HandBack:
                    _ = capped.HandBackAsync();
                    break;
            }
        }
    }

    internal TimeSpan CheckInterval => _options.SessionCheckInterval;

    internal long NowTimestamp => _time.GetTimestamp();

    internal TimeSpan SinceTimestamp(long timestamp, long now) => _time.GetElapsedTime(timestamp, now);

    /// <summary>One call to the session's grain; a retry hands nothing back (the failed try may have landed: a lost admission, never a doubled one).</summary>
    internal Task<SessionStanding> ReserveAsync(string sessionId, SessionReservation reservation)
    {
        var first = true;
        return BoundedGrainCall.RunAsync(() =>
        {
            var ask = first ? reservation : reservation with { Returned = 0 };
            first = false;
            return _grains.GetGrain<ISessionGrain>(sessionId).ReserveAsync(ask);
        }, _options);
    }

    public void Dispose() => _sweep.Dispose();

    /// <summary>The grain's counts when asked (or this front's, if larger), plus this front's settlements since.</summary>
    private sealed class Standing(long fetchedAt, SessionStanding answer, Standing? previous)
    {
        private long _requests = Math.Max(answer.Requests, previous?._requests ?? 0);
        private decimal _cost = Math.Max(answer.CostUsd, previous?._cost ?? 0);

        public long FetchedAt { get; } = fetchedAt;

        public bool Allows(SessionLimits limits) => Denial(limits) is null;

        public LeaseDenial? Denial(SessionLimits limits)
        {
            if (!answer.Owned)
            {
                return null; // another key's session: its limits and counts are not this key's
            }
            lock (this)
            {
                return SessionLimitCheck.Deny(limits, _requests, _cost);
            }
        }

        public void Add(decimal costUsd)
        {
            lock (this)
            {
                _requests++;
                _cost += costUsd;
            }
        }
    }
}

using System.Collections.Concurrent;
using Gateway.Grains.Abstractions;
using Gateway.Grains.Sessions;
using Microsoft.Extensions.Options;

namespace Gateway.Front.Admission;

/// <summary>
/// Session limits without a grain call per request. The session's grain is asked (a <see cref="BoundedGrainCall"/>, so a
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
    private readonly ITimer _sweep;

    public SessionCheck(IGrainFactory grains, IOptions<AdmissionOptions> options, TimeProvider time)
    {
        _grains = grains;
        _options = options.Value;
        _time = time;
        // Sessions are many (millions a day) and short-lived: forget the ones not seen for an interval.
        var every = TimeSpan.FromSeconds(Math.Max(5, _options.SessionCheckInterval.TotalSeconds * 10));
        _sweep = time.CreateTimer(_ => Sweep(), null, every, every);
    }

    /// <summary>Null: the session may go on. Throws when the grain cannot be reached within the attempts.</summary>
    public async ValueTask<LeaseDenial?> AdmitAsync(string sessionId, string keyId, SessionLimits limits)
    {
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

using Gateway.Grains.Abstractions;
using Gateway.Grains.Metrics;
using Gateway.Grains.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gateway.Grains.Sessions;

/// <summary>
/// Usage of one client session (a Claude Code conversation), across every front. Small and
/// short-lived: collected after ten idle minutes, so a day's millions of sessions never pile up.
/// Its totals live in <see cref="ISessionStore"/> (<c>session_usage</c>): loaded on activation, so a
/// session re-activated after idling or moved to another silo keeps its counts (and its limits hold);
/// written as absolute totals when changed, every <see cref="SessionOptions.FlushInterval"/> (1 s) and
/// on deactivation, which a graceful silo shutdown runs for every grain.
/// Loss window: a silo killed without a graceful stop loses at most the last interval of a session's
/// counts (about a second); the key's spend, written through on every settlement, is unaffected.
/// </summary>
[CollectionAgeLimit(Minutes = 10)]
public sealed class SessionGrain(
    ISessionStore store,
    IOptions<SessionOptions> options,
    TimeProvider time,
    ILogger<SessionGrain> logger) : Grain, ISessionGrain
{
    private string? _keyId;
    private string? _teamId;
    private long _requests;

    /// <summary>
    /// Requests admitted under the request cap: recorded ones plus admissions granted to fronts and not handed back.
    /// Starts at the recorded count on activation (a session re-activates when idle, with nothing in flight).
    /// </summary>
    private long _admitted;
    private TokenUsage _tokens;
    private decimal _cost;
    private decimal _cacheSavings;
    private long _toolCalls;
    private DateTimeOffset? _firstSeen;
    private DateTimeOffset? _lastSeen;
    private bool _dirty;

    private string SessionId => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // A failed load fails the activation (the next call tries again): starting from zero would
        // let a session past its limits and under-report it.
        if (await store.LoadAsync(SessionId, cancellationToken) is { } saved)
        {
            _keyId = saved.KeyId;
            _teamId = saved.TeamId;
            _requests = saved.Requests;
            _admitted = saved.Requests;
            _tokens = saved.Tokens;
            _cost = saved.CostUsd;
            _cacheSavings = saved.CacheSavingsUsd;
            _toolCalls = saved.ToolCalls;
            _firstSeen = saved.FirstSeen;
            _lastSeen = saved.LastSeen;
        }
        GrainMetrics.SessionActivated();
        var interval = options.Value.FlushInterval;
        // Not a keep-alive: an idle session is still collected (and flushed on its way out).
        this.RegisterGrainTimer(FlushAsync, interval, interval);
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        GrainMetrics.SessionDeactivated();
        return FlushAsync(cancellationToken);
    }

    /// <summary>
    /// Checks the limits against what was recorded so far; recording counts the request. A session
    /// belongs to the key that first used it: another key naming the same id (a forged or guessed
    /// X-Claude-Code-Session-Id) is admitted without this session's counts, so it can neither use up
    /// the owner's session limits nor read the owner's spend in the denial message.
    /// </summary>
    public async Task<LeaseDenial?> AdmitAsync(string keyId, SessionLimits? limits) => (await CheckAsync(keyId, limits)).Denial;

    public Task<SessionStanding> CheckAsync(string keyId, SessionLimits? limits)
    {
        _keyId ??= keyId;
        if (!IsOwner(keyId))
        {
            return Task.FromResult(new SessionStanding { Owned = false });
        }
        return Task.FromResult(new SessionStanding
        {
            Owned = true,
            Requests = _requests,
            CostUsd = _cost,
            Denial = SessionLimitCheck.Deny(limits, _requests, _cost),
        });
    }

    public Task<SessionStanding> ReserveAsync(SessionReservation reservation)
    {
        _keyId ??= reservation.KeyId;
        if (!IsOwner(reservation.KeyId))
        {
            return Task.FromResult(new SessionStanding { Owned = false, Granted = reservation.Wanted });
        }
        // Never below what was recorded: an admission handed back twice (a retried call) must not free a used one.
        _admitted = Math.Max(_requests, _admitted - Math.Max(0, reservation.Returned));
        var denial = SessionLimitCheck.Deny(reservation.Limits, _admitted, _cost);
        var granted = SessionLimitCheck.Grant(reservation.Limits, _admitted, reservation.Wanted, denial);
        _admitted += granted;
        return Task.FromResult(new SessionStanding { Owned = true, Requests = _requests, CostUsd = _cost, Denial = denial, Granted = granted });
    }

    /// <summary>
    /// Adds one request's usage. Usage of a key other than the owner's is not added (it stays on that
    /// key's spend and in request_log): one tenant must not write into another's session totals.
    /// </summary>
    public Task RecordAsync(SessionCharge charge)
    {
        var at = charge.At == default ? time.GetUtcNow() : charge.At;
        _keyId ??= charge.KeyId;
        if (!IsOwner(charge.KeyId))
        {
            SessionGrainLog.ForeignKey(logger, SessionId, charge.KeyId);
            return Task.CompletedTask;
        }
        _teamId ??= charge.TeamId;
        _requests += Math.Max(1, charge.Requests);
        // Requests admitted without a reservation (a session with no request cap) count here.
        _admitted = Math.Max(_admitted, _requests);
        // Fronts settle independently, so charges may arrive out of order.
        var earliest = charge.FirstAt is { } firstAt && firstAt != default ? firstAt : at;
        _firstSeen = _firstSeen is { } first && first <= earliest ? first : earliest;
        _lastSeen = _lastSeen is { } last && last >= at ? last : at;
        _tokens += charge.Tokens;
        _cost += charge.CostUsd;
        _cacheSavings += charge.CacheSavingsUsd;
        _toolCalls += charge.ToolCalls;
        _dirty = true;
        return Task.CompletedTask;
    }

    private bool IsOwner(string keyId) => string.Equals(_keyId, keyId, StringComparison.Ordinal);

    public Task<SessionUsageView> GetUsageAsync() => Task.FromResult(new SessionUsageView
    {
        KeyId = _keyId,
        TeamId = _teamId,
        Requests = _requests,
        Tokens = _tokens,
        CostUsd = _cost,
        CacheSavingsUsd = _cacheSavings,
        ToolCalls = _toolCalls,
        FirstSeen = _firstSeen,
        LastSeen = _lastSeen,
    });

    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (!_dirty || _firstSeen is not { } first || _lastSeen is not { } last)
        {
            return;
        }
        _dirty = false;
        try
        {
            await store.SaveAsync(new SessionUsageRecord
            {
                SessionId = SessionId,
                KeyId = _keyId,
                TeamId = _teamId,
                FirstSeen = first,
                LastSeen = last,
                Requests = _requests,
                Tokens = _tokens,
                CostUsd = _cost,
                CacheSavingsUsd = _cacheSavings,
                ToolCalls = _toolCalls,
            }, cancellationToken);
        }
        catch (Exception e)
        {
            // Totals are absolute: the next flush writes everything this one would have.
            _dirty = true;
            GrainMetrics.StoreWriteFailed("session_usage");
            SessionGrainLog.FlushFailed(logger, SessionId, e);
        }
    }
}

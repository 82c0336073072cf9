using Gateway.Front.Admission;
using Gateway.Grains.Abstractions;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Admission;

/// <summary>
/// The front's session check on a fake clock, for a cost cap: it decides from the grain's last counts plus its own
/// settlements for one interval, asks again at the interval's end or when those reach a limit, and forgets idle
/// sessions. (Request caps are granted ahead by the grain: <see cref="CappedSessionTests"/>.)
/// </summary>
public sealed class SessionCheckTests : IDisposable
{
    private static readonly SessionLimits ThreeRequests = new() { MaxRequests = 3 };
    private static readonly SessionLimits ThreeCents = new() { MaxCostUsd = 0.03m };
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly CountingSessionGrain _grain = new();
    private readonly SessionCheck _check;

    public SessionCheckTests() =>
        _check = new SessionCheck(FakeGrainFactory.Of<ISessionGrain>(_grain), Options.Create(new AdmissionOptions { SessionCheckInterval = TimeSpan.FromSeconds(1) }), _time);

    public void Dispose() => _check.Dispose();

    [Fact]
    public async Task Within_the_interval_the_grains_counts_are_reused_and_after_it_the_grain_is_asked_again()
    {
        Assert.Null(await _check.AdmitAsync("s1", "k1", ThreeCents));
        _time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Null(await _check.AdmitAsync("s1", "k1", ThreeCents));
        Assert.Equal(1, _grain.Checks);

        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Null(await _check.AdmitAsync("s1", "k1", ThreeCents));
        Assert.Equal(2, _grain.Checks);
    }

    [Fact]
    public async Task This_fronts_settlements_count_toward_the_limit_before_the_grain_has_them()
    {
        Assert.Null(await _check.AdmitAsync("s1", "k1", ThreeCents));
        _check.Settled("s1", "k1", 0.01m);
        _check.Settled("s1", "k1", 0.01m);
        Assert.Null(await _check.AdmitAsync("s1", "k1", ThreeCents)); // two cents of three: decided here
        Assert.Equal(1, _grain.Checks);

        // At the limit the grain is asked (it has the last word); it has not heard of the three yet, so the larger count wins.
        _check.Settled("s1", "k1", 0.01m);
        var denial = await _check.AdmitAsync("s1", "k1", ThreeCents);
        Assert.Equal(2, _grain.Checks);
        Assert.Equal(DenialReason.SessionBudget, denial?.Reason);
    }

    [Fact]
    public async Task The_grains_refusal_is_returned_and_a_session_under_its_cost_limit_goes_on()
    {
        _grain.Requests = 3;
        Assert.Equal(DenialReason.SessionRequests, (await _check.AdmitAsync("s1", "k1", ThreeRequests))?.Reason);

        _grain.Requests = 0;
        _grain.CostUsd = 0.99m;
        var dollar = new SessionLimits { MaxCostUsd = 1m };
        Assert.Null(await _check.AdmitAsync("s2", "k1", dollar));
        _check.Settled("s2", "k1", 0.01m); // $1.00: at the limit
        Assert.Equal(DenialReason.SessionBudget, (await _check.AdmitAsync("s2", "k1", dollar))?.Reason);
    }

    [Fact]
    public async Task Another_keys_session_is_never_refused_by_this_keys_counts()
    {
        _grain.Owned = false;
        _grain.Requests = 10;
        Assert.Null(await _check.AdmitAsync("s1", "k2", ThreeRequests));
        for (var i = 0; i < 5; i++)
        {
            _check.Settled("s1", "k2", 1m);
        }
        Assert.Null(await _check.AdmitAsync("s1", "k2", ThreeRequests));
    }

    [Fact]
    public async Task With_a_zero_interval_every_request_asks_the_grain()
    {
        using var check = new SessionCheck(FakeGrainFactory.Of<ISessionGrain>(_grain), Options.Create(new AdmissionOptions { SessionCheckInterval = TimeSpan.Zero }), _time);
        for (var i = 0; i < 3; i++)
        {
            Assert.Null(await check.AdmitAsync("s1", "k1", ThreeCents));
        }
        Assert.Equal(3, _grain.Checks);
    }

    [Fact]
    public async Task A_session_not_seen_for_ten_intervals_is_forgotten_with_this_fronts_settlements()
    {
        var twoCents = new SessionLimits { MaxCostUsd = 0.02m };
        Assert.Null(await _check.AdmitAsync("s1", "k1", twoCents));
        _check.Settled("s1", "k1", 0.01m);

        // The sweep runs every interval and drops what is stale: the settlement goes with it.
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.Null(await _check.AdmitAsync("s1", "k1", twoCents));
        _check.Settled("s1", "k1", 0.01m);
        // Remembered, the two settlements would reach the limit and send this to the grain; forgotten, one is below it.
        Assert.Null(await _check.AdmitAsync("s1", "k1", twoCents));
        Assert.Equal(2, _grain.Checks);
    }
}

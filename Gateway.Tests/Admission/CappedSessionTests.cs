using Gateway.Front.Admission;
using Gateway.Grains.Abstractions;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Admission;

/// <summary>
/// A session's request cap across fronts on a fake clock: each front admits from admissions the session's grain
/// granted ahead, so two fronts together admit exactly the cap; what one front leaves unused goes back within an
/// interval; an admission for a request the key refused is used by the next one.
/// </summary>
public sealed class CappedSessionTests : IDisposable
{
    private static readonly SessionLimits Ten = new() { MaxRequests = 10 };
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly CountingSessionGrain _grain = new();
    private readonly SessionCheck _frontA;
    private readonly SessionCheck _frontB;

    public CappedSessionTests()
    {
        var options = Options.Create(new AdmissionOptions { SessionCheckInterval = TimeSpan.FromSeconds(1) });
        _frontA = new SessionCheck(FakeGrainFactory.Of<ISessionGrain>(_grain), options, _time);
        _frontB = new SessionCheck(FakeGrainFactory.Of<ISessionGrain>(_grain), options, _time);
    }

    public void Dispose()
    {
        _frontA.Dispose();
        _frontB.Dispose();
    }

    [Fact]
    public async Task Two_fronts_together_admit_exactly_the_cap()
    {
        var admitted = 0;
        for (var round = 0; round < 40; round++)
        {
            foreach (var front in new[] { _frontA, _frontA, _frontB })
            {
                if (await front.AdmitAsync("s1", "k1", Ten) is null)
                {
                    admitted++;
                }
            }
            _time.Advance(TimeSpan.FromMilliseconds(100));
        }
        Assert.Equal(10, admitted);
        var denial = await _frontB.AdmitAsync("s1", "k1", Ten);
        Assert.Equal(DenialReason.SessionRequests, denial?.Reason);
        Assert.Contains("10 requests", denial!.Message);
    }

    [Fact]
    public async Task Admissions_one_front_leaves_unused_go_back_for_another_front()
    {
        // Front A gets busy: its asks grow with its traffic, so it ends up holding admissions it will not use.
        for (var i = 0; i < 6; i++)
        {
            Assert.Null(await _frontA.AdmitAsync("s1", "k1", Ten));
            _time.Advance(TimeSpan.FromMilliseconds(50));
        }
        Assert.True(_grain.Admitted > 6, $"front A holds admissions ahead ({_grain.Admitted} granted for 6 used)");

        // Front A goes quiet; after an interval its sweep hands the rest back and front B can use all four left.
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(6, _grain.Admitted);
        for (var i = 0; i < 4; i++)
        {
            Assert.Null(await _frontB.AdmitAsync("s1", "k1", Ten));
        }
        Assert.NotNull(await _frontB.AdmitAsync("s1", "k1", Ten));
    }

    [Fact]
    public async Task An_admission_for_a_request_the_key_refused_is_used_by_the_next_request()
    {
        var one = new SessionLimits { MaxRequests = 1 };
        Assert.Null(await _frontA.AdmitAsync("s1", "k1", one));
        _frontA.Unused("s1", "k1");
        Assert.Null(await _frontA.AdmitAsync("s1", "k1", one));
        Assert.Equal(DenialReason.SessionRequests, (await _frontA.AdmitAsync("s1", "k1", one))?.Reason);
        Assert.Equal(1, _grain.Admitted);
    }

    [Fact]
    public async Task At_the_cap_a_refusal_stands_for_an_interval_without_asking_the_grain()
    {
        var one = new SessionLimits { MaxRequests = 1 };
        Assert.Null(await _frontA.AdmitAsync("s1", "k1", one));
        Assert.NotNull(await _frontA.AdmitAsync("s1", "k1", one));
        var asked = _grain.Reserves;
        for (var i = 0; i < 50; i++)
        {
            Assert.NotNull(await _frontA.AdmitAsync("s1", "k1", one));
        }
        Assert.Equal(asked, _grain.Reserves);
    }
}

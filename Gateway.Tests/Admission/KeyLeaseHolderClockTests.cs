using Gateway.Front.Admission;
using Gateway.Grains.Abstractions;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Admission;

/// <summary>
/// A front's lease holder on a fake clock against a bucket-backed key grain: slices served locally, renewal in the
/// lease's last quarter, leftovers handed back on expiry, refusals that stand until the bucket refills, stream shares.
/// </summary>
public sealed class KeyLeaseHolderClockTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Start);

    private KeyLeaseHolder Holder(BucketKeyGrain grain) =>
        new(grain.Key.KeyId, "front-1", FakeGrainFactory.Of<IApiKeyGrain>(grain), new AdmissionOptions(), _time);

    [Fact]
    public async Task A_bucket_with_two_requests_admits_exactly_two_and_refuses_without_a_grain_call_until_it_refills()
    {
        var grain = new BucketKeyGrain(_time, requestsPerMinute: 60, startLevel: 2); // refills one request a second
        var holder = Holder(grain);

        Assert.True((await holder.AdmitAsync(grain.Key, 10, 10)).Admitted);
        Assert.True((await holder.AdmitAsync(grain.Key, 10, 10)).Admitted);
        var refused = await holder.AdmitAsync(grain.Key, 10, 10);
        Assert.False(refused.Admitted);
        Assert.Equal(DenialReason.Requests, refused.Denial!.Reason);
        Assert.Equal(TimeSpan.FromSeconds(1), refused.Denial.RetryAfter);

        // The refusal stands for its retry-after, counting down, with no grain call.
        var asked = grain.Requests.Count;
        _time.Advance(TimeSpan.FromMilliseconds(400));
        var standing = await holder.AdmitAsync(grain.Key, 10, 10);
        Assert.False(standing.Admitted);
        Assert.Equal(TimeSpan.FromMilliseconds(600), standing.Denial!.RetryAfter);
        Assert.Equal(asked, grain.Requests.Count);

        // One second after the bucket ran dry it holds one request again.
        _time.Advance(TimeSpan.FromMilliseconds(600));
        Assert.True((await holder.AdmitAsync(grain.Key, 10, 10)).Admitted);
    }

    [Fact]
    public async Task A_slice_serves_requests_without_grain_calls_and_its_leftovers_go_back_once_when_it_expires()
    {
        var grain = new BucketKeyGrain(_time, requestsPerMinute: 600) { Slice = 10 };
        var holder = Holder(grain);

        // Ten granted; renewal starts early only below a quarter of them (2 left), so eight need one call.
        for (var i = 0; i < 8; i++)
        {
            Assert.True((await holder.AdmitAsync(grain.Key, 10, 10)).Admitted);
        }
        Assert.Single(grain.Requests);

        _time.Advance(TimeSpan.FromMilliseconds(999));
        await holder.ReturnIfExpiredAsync();
        Assert.Single(grain.Requests);

        _time.Advance(TimeSpan.FromMilliseconds(1)); // the lease's second is over
        await holder.ReturnIfExpiredAsync();
        Assert.Equal(2, grain.Requests.Count);
        Assert.Equal(0, grain.Requests[1].Requests);
        Assert.Equal(2, grain.Requests[1].ReturnedRequests);

        await holder.ReturnIfExpiredAsync();
        Assert.Equal(2, grain.Requests.Count);
    }

    [Fact]
    public async Task A_lease_is_renewed_ahead_only_in_its_last_quarter_asking_for_the_rate_it_served()
    {
        var grain = new BucketKeyGrain(_time, requestsPerMinute: 600) { Slice = 10 };
        var holder = Holder(grain);
        Assert.True((await holder.AdmitAsync(grain.Key, 10, 10)).Admitted);

        _time.Advance(TimeSpan.FromMilliseconds(750)); // 250 ms left: not yet under a quarter
        Assert.True((await holder.AdmitAsync(grain.Key, 10, 10)).Admitted);
        Assert.Single(grain.Requests);

        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True((await holder.AdmitAsync(grain.Key, 10, 10)).Admitted);
        Assert.Equal(2, grain.Requests.Count);
        var renewal = grain.Requests[1];
        Assert.Equal(0, renewal.ReturnedRequests); // the slice is still good: kept, not handed back
        // Three requests in 0.751 s, asked for one and a half lease periods of that: ceil(3 / 0.751 × 1.5) = 6.
        Assert.Equal(6, renewal.Requests);
    }

    [Fact]
    public async Task A_revoked_key_is_refused_from_its_lease_until_the_lease_expires()
    {
        var grain = new BucketKeyGrain(_time, requestsPerMinute: null);
        grain.Key = grain.Key with { Revoked = true };
        var holder = Holder(grain);

        var first = await holder.AdmitAsync(grain.Key, 10, 10);
        Assert.False(first.Admitted);
        Assert.Equal(DenialReason.Revoked, first.Denial!.Reason);
        Assert.Equal(DenialReason.Revoked, (await holder.AdmitAsync(grain.Key, 10, 10)).Denial!.Reason);
        Assert.Single(grain.Requests);

        _time.Advance(TimeSpan.FromSeconds(1));
        grain.Key = grain.Key with { Revoked = false };
        Assert.True((await holder.AdmitAsync(grain.Key, 10, 10)).Admitted);
        Assert.Equal(2, grain.Requests.Count);
    }

    [Fact]
    public async Task A_one_stream_key_refuses_a_second_stream_keeps_its_share_renewed_and_frees_it_when_the_stream_ends()
    {
        var grain = new BucketKeyGrain(_time, requestsPerMinute: null);
        grain.Key = grain.Key with { Limits = new KeyLimits { ConcurrentStreams = 1 } };
        var holder = Holder(grain);

        var first = await holder.AdmitAsync(grain.Key, 10, 10, stream: true);
        Assert.True(first.Admitted);
        Assert.NotNull(first.StreamSlot);
        var second = await holder.AdmitAsync(grain.Key, 10, 10, stream: true);
        Assert.False(second.Admitted);
        Assert.Equal(DenialReason.ConcurrentStreams, second.Denial!.Reason);
        Assert.Equal(2, grain.Requests[^1].WantedStreams); // it asked the grain for room before refusing
        var asked = grain.Requests.Count;

        // The open stream's share is renewed once half a lease has passed since the last renewal.
        _time.Advance(TimeSpan.FromMilliseconds(500));
        await holder.KeepStreamShareAsync();
        Assert.Equal(asked, grain.Requests.Count);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        await holder.KeepStreamShareAsync();
        Assert.Equal(asked + 1, grain.Requests.Count);
        Assert.Equal(1, grain.Requests[^1].ActiveStreams);

        first.StreamSlot!.Dispose();
        first.StreamSlot.Dispose(); // a second dispose frees nothing more
        Assert.True((await holder.AdmitAsync(grain.Key, 10, 10, stream: true)).Admitted);
        Assert.Equal(asked + 1, grain.Requests.Count);
        Assert.False((await holder.AdmitAsync(grain.Key, 10, 10, stream: true)).Admitted);
    }

    [Fact]
    public async Task A_holder_is_idle_five_minutes_after_its_lease_expired()
    {
        var grain = new BucketKeyGrain(_time, requestsPerMinute: 600);
        var holder = Holder(grain);
        await holder.AdmitAsync(grain.Key, 10, 10);

        var expired = Start + new AdmissionOptions().LeaseDuration;
        Assert.False(holder.IsIdle(expired + TimeSpan.FromMinutes(5)));
        Assert.True(holder.IsIdle(expired + TimeSpan.FromMinutes(5) + TimeSpan.FromTicks(1)));
    }

    [Fact]
    public async Task A_fresh_holder_is_not_idle_and_a_retired_one_admits_nothing()
    {
        var grain = new BucketKeyGrain(_time, requestsPerMinute: 600);
        var holder = Holder(grain);
        // Before its first lease (the first renewal on its way): not idle, whatever the clock says of a lease it never had.
        Assert.False(holder.IsIdle(Start + TimeSpan.FromSeconds(1)));
        Assert.False(holder.TryRetire(Start + TimeSpan.FromSeconds(1)));
        Assert.True((await holder.AdmitAsync(grain.Key, 10, 10)).Admitted);

        var idle = Start + new AdmissionOptions().LeaseDuration + TimeSpan.FromMinutes(5) + TimeSpan.FromTicks(1);
        Assert.True(holder.TryRetire(idle));
        var asked = grain.Requests.Count;
        var after = await holder.AdmitAsync(grain.Key, 10, 10);
        Assert.True(after.Retired);
        Assert.False(after.Admitted);
        Assert.Equal(asked, grain.Requests.Count); // no slice taken for a holder nothing sweeps any more
    }
}

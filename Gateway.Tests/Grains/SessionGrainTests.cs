using Gateway.Grains.Abstractions;
using Gateway.Grains.Storage;
using Gateway.Tests.Hosting;

namespace Gateway.Tests.Grains;

[Collection(GrainClusterCollection.Name)]
public sealed class SessionGrainTests(GrainClusterFixture fixture)
{
    [Fact]
    public async Task Records_usage_and_enforces_its_limits()
    {
        var session = fixture.Grains.GetGrain<ISessionGrain>("session-" + Guid.NewGuid());
        var limits = new SessionLimits { MaxRequests = 2, MaxCostUsd = 10m };
        var at = DateTimeOffset.UtcNow;
        for (var i = 0; i < 2; i++)
        {
            Assert.Null(await session.AdmitAsync("key_1", limits));
            await session.RecordAsync(new SessionCharge { KeyId = "key_1", InputTokens = 10, OutputTokens = 5, CostUsd = 0.5m, ToolCalls = 1, At = at.AddSeconds(i) });
        }
        var denial = await session.AdmitAsync("key_1", limits);
        Assert.Equal(DenialReason.SessionRequests, denial!.Reason);
        Assert.Contains("2 requests", denial.Message);

        var usage = await session.GetUsageAsync();
        Assert.Equal(2, usage.Requests);
        Assert.Equal(20, usage.InputTokens);
        Assert.Equal(2, usage.ToolCalls);
        Assert.Equal(1m, usage.CostUsd);
        Assert.Equal(at, usage.FirstSeen);
        Assert.Equal(at.AddSeconds(1), usage.LastSeen);
        Assert.Null(await session.AdmitAsync("key_1", null));
    }

    [Fact]
    public async Task Reservations_under_a_request_cap_count_until_handed_back_and_never_pass_the_cap()
    {
        var session = fixture.Grains.GetGrain<ISessionGrain>("session-" + Guid.NewGuid());
        var cap = new SessionLimits { MaxRequests = 10 };
        var a = await session.ReserveAsync(new SessionReservation { KeyId = "key_1", Limits = cap, Wanted = 100 });
        Assert.Equal(5, a.Granted); // half of what is left
        var b = await session.ReserveAsync(new SessionReservation { KeyId = "key_1", Limits = cap, Wanted = 100 });
        Assert.Equal(2, b.Granted);
        // One admission was used (recorded); front A hands its other four back, and what is left is shared again.
        await session.RecordAsync(new SessionCharge { KeyId = "key_1", CostUsd = 0.1m });
        var again = await session.ReserveAsync(new SessionReservation { KeyId = "key_1", Limits = cap, Wanted = 100, Returned = 4 });
        Assert.Equal(3, again.Granted); // 10 − (1 used + 2 held by B) = 7 left: 3
        long granted = a.Granted + b.Granted + again.Granted - 4;
        for (var i = 0; i < 10; i++)
        {
            granted += (await session.ReserveAsync(new SessionReservation { KeyId = "key_1", Limits = cap, Wanted = 1 })).Granted;
        }
        Assert.Equal(10, granted);
        var refused = await session.ReserveAsync(new SessionReservation { KeyId = "key_1", Limits = cap, Wanted = 1 });
        Assert.Equal(DenialReason.SessionRequests, refused.Denial?.Reason);
        // Handing back more than was outstanding never frees a recorded request.
        var overReturned = await session.ReserveAsync(new SessionReservation { KeyId = "key_1", Limits = cap, Wanted = 100, Returned = 1000 });
        Assert.Equal(4, overReturned.Granted); // 10 − 1 recorded = 9 left: 4
        // Another key naming the session is not limited by (or counted in) it.
        var foreign = await session.ReserveAsync(new SessionReservation { KeyId = "key_2", Limits = cap, Wanted = 3 });
        Assert.False(foreign.Owned);
    }

    [Fact]
    public async Task A_combined_charge_counts_every_request_it_stands_for_and_its_earliest_time()
    {
        // A front sends the charges of one session settled in the same flush as one call (UsageSettler).
        var session = fixture.Grains.GetGrain<ISessionGrain>("session-" + Guid.NewGuid());
        var at = DateTimeOffset.UtcNow;
        var first = new SessionCharge { KeyId = "key_1", TeamId = "team_1", InputTokens = 10, OutputTokens = 5, CostUsd = 0.5m, ToolCalls = 1, At = at.AddSeconds(2) };
        var second = new SessionCharge { KeyId = "key_1", InputTokens = 1, OutputTokens = 2, CostUsd = 0.25m, CacheSavingsUsd = 0.01m, At = at };
        var third = new SessionCharge { KeyId = "key_1", InputTokens = 100, CostUsd = 1m, ToolCalls = 2, At = at.AddSeconds(1) };
        await session.RecordAsync(first.CombineWith(second).CombineWith(third));

        var usage = await session.GetUsageAsync();
        Assert.Equal((3L, 111L, 7L, 1.75m, 0.01m, 3L, "team_1"),
            (usage.Requests, usage.InputTokens, usage.OutputTokens, usage.CostUsd, usage.CacheSavingsUsd, usage.ToolCalls, usage.TeamId));
        Assert.Equal((at, at.AddSeconds(2)), (usage.FirstSeen, usage.LastSeen));
        var denial = await session.AdmitAsync("key_1", new SessionLimits { MaxRequests = 3 });
        Assert.Equal(DenialReason.SessionRequests, denial!.Reason);
    }

    [Fact]
    public async Task Changed_totals_are_written_on_the_timer_and_read_back_after_deactivation()
    {
        var id = "session-" + Guid.NewGuid();
        var session = fixture.Grains.GetGrain<ISessionGrain>(id);
        var at = new DateTimeOffset(2026, 11, 3, 9, 0, 0, TimeSpan.Zero);
        await session.RecordAsync(new SessionCharge
        {
            KeyId = "key_1", TeamId = "team_1", InputTokens = 7, CacheReadInputTokens = 3, CostUsd = 0.123456789m,
            CacheSavingsUsd = 0.01m, ToolCalls = 2, At = at,
        });

        // The default interval is a second: the row appears without any deactivation.
        SessionUsageRecord? saved = null;
        await Eventually.HoldsAsync("the session's totals are saved by its timer",
            async () => (saved = await GrainClusterFixture.Sessions.LoadAsync(id)) is not null, TimeSpan.FromSeconds(10));
        Assert.Equal(new SessionUsageRecord
        {
            SessionId = id, KeyId = "key_1", TeamId = "team_1", FirstSeen = at, LastSeen = at, Requests = 1,
            Tokens = new TokenUsage(Input: 7, Output: 0, CacheCreation: 0, CacheRead: 3), CostUsd = 0.12345679m, CacheSavingsUsd = 0.01m, ToolCalls = 2,
        }, saved);

        await fixture.Cluster.DeactivateAsync(session);
        var usage = await session.GetUsageAsync();
        Assert.Equal((1L, "team_1", 0.12345679m, 0.01m, 2L), (usage.Requests, usage.TeamId, usage.CostUsd, usage.CacheSavingsUsd, usage.ToolCalls));
    }
}

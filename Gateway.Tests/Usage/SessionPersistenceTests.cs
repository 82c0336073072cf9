using Gateway.Grains.Abstractions;
using Gateway.Grains.Storage;

namespace Gateway.Tests.Usage;

/// <summary>
/// Session totals survive their grain: written to session_usage when it deactivates (here the only
/// way, the fixture's timer being ten minutes) and read back by the next activation, on any silo.
/// </summary>
[Collection(UsageClusterCollection.Name)]
public sealed class SessionPersistenceTests(UsageClusterFixture fixture)
{
    private static readonly DateTimeOffset At = new(2027, 1, 20, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_collected_session_comes_back_with_its_totals_and_its_limits_still_hold()
    {
        var sessionId = "sess-collected-" + Guid.NewGuid().ToString("N");
        var session = fixture.Grains.GetGrain<ISessionGrain>(sessionId);
        var limits = new SessionLimits { MaxRequests = 3 };
        Assert.Null(await session.AdmitAsync("key_sess", limits));
        await session.RecordAsync(Charge(At.AddMinutes(1), cost: 0.25m, savings: 0.01m, tools: 2));
        await session.RecordAsync(Charge(At, cost: 0.5m, savings: -0.002m, tools: 1));
        var before = await session.GetUsageAsync();
        Assert.Null(await new PostgresSessionStore(fixture.DataSource).LoadAsync(sessionId));

        var deactivated = fixture.Cluster.WaitForDeactivationAsync(session);
        await fixture.Grains.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        await deactivated.WaitAsync(TimeSpan.FromSeconds(30));

        var saved = await new PostgresSessionStore(fixture.DataSource).LoadAsync(sessionId);
        Assert.Equal(new SessionUsageRecord
        {
            SessionId = sessionId,
            KeyId = "key_sess",
            TeamId = "team_sess",
            FirstSeen = At,
            LastSeen = At.AddMinutes(1),
            Requests = 2,
            Tokens = new TokenUsage(Input: 200, Output: 20, CacheCreation: 2, CacheRead: 4),
            CostUsd = 0.75m,
            CacheSavingsUsd = 0.008m,
            ToolCalls = 3,
        }, saved);

        var after = await session.GetUsageAsync();
        Assert.Equal(before, after);
        Assert.Equal(("team_sess", 0.008m, At, At.AddMinutes(1)), (after.TeamId, after.CacheSavingsUsd, after.FirstSeen!.Value, after.LastSeen!.Value));

        // The limit counts the requests from before the collection.
        Assert.Null(await session.AdmitAsync("key_sess", limits));
        await session.RecordAsync(Charge(At.AddMinutes(2), cost: 0.25m, savings: 0m, tools: 0));
        Assert.Equal(DenialReason.SessionRequests, (await session.AdmitAsync("key_sess", limits))!.Reason);
    }

    [Fact]
    public async Task A_session_moved_to_another_silo_keeps_its_totals()
    {
        var session = fixture.Grains.GetGrain<ISessionGrain>("sess-moved-" + Guid.NewGuid().ToString("N"));
        await session.RecordAsync(Charge(At, cost: 1.5m, savings: 0.5m, tools: 4));
        var before = await session.GetUsageAsync();
        var management = fixture.Grains.GetGrain<IManagementGrain>(0);
        var host = await management.GetActivationAddress(session);
        Assert.NotNull(host);

        var target = fixture.Cluster.GetActiveSilos().First(s => !s.SiloAddress.Equals(host)).SiloAddress;
        await fixture.Cluster.MigrateAsync(session, target);

        Assert.Equal(before, await session.GetUsageAsync());
        Assert.Equal(target, await management.GetActivationAddress(session));
        await session.RecordAsync(Charge(At.AddSeconds(5), cost: 0.5m, savings: 0m, tools: 1));
        var after = await session.GetUsageAsync();
        Assert.Equal((2, 2m, 5L, 0.5m), (after.Requests, after.CostUsd, after.ToolCalls, after.CacheSavingsUsd));
    }

    private static SessionCharge Charge(DateTimeOffset at, decimal cost, decimal savings, int tools) => new()
    {
        KeyId = "key_sess",
        TeamId = "team_sess",
        At = at,
        InputTokens = 100,
        OutputTokens = 10,
        CacheCreationInputTokens = 1,
        CacheReadInputTokens = 2,
        CostUsd = cost,
        CacheSavingsUsd = savings,
        ToolCalls = tools,
    };
}

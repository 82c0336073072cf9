using Gateway.Grains.Abstractions;

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
}

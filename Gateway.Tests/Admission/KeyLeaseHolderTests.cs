using Gateway.Front.Admission;
using Gateway.Grains.Abstractions;
using Gateway.Grains.Storage;
using Gateway.Tests.Grains;
using Gateway.Tests.Hosting;

namespace Gateway.Tests.Admission;

/// <summary>A front's lease holder against real key grains: the budget side (USD slices, holds, a re-activated grain).</summary>
[Collection(GrainClusterCollection.Name)]
public sealed class KeyLeaseHolderTests(GrainClusterFixture fixture)
{
    private static async Task<KeyDescriptor> NewKeyAsync(KeyLimits limits)
    {
        var team = await GrainClusterFixture.Keys.CreateTeamAsync(new NewTeam("team-" + Guid.NewGuid().ToString("N")[..8], "cc-42"));
        var secret = KeySecrets.Generate();
        return await GrainClusterFixture.Keys.CreateKeyAsync(new NewKey { TeamId = team.TeamId, Name = "test", Limits = limits },
            KeySecrets.Hash(secret), secret[..KeySecrets.DisplayPrefixLength]);
    }

    private KeyLeaseHolder Holder(KeyDescriptor key) =>
        new(key.KeyId, "front-" + Guid.NewGuid().ToString("N")[..6], fixture.Grains, new AdmissionOptions(), TimeProvider.System);

    private Task Settle(KeyDescriptor key, BudgetHold hold, Guid epoch) =>
        fixture.Grains.GetGrain<IApiKeyGrain>(key.KeyId).SettleAsync(new SettlementBatch
        {
            BatchId = Guid.NewGuid(),
            Charges = [new UsageCharge { RequestId = Guid.NewGuid().ToString(), Model = "claude-haiku-4-5", OutputTokens = 10, ReservedUsd = hold.Usd, BudgetEpoch = epoch, FrontId = hold.FrontId, At = DateTimeOffset.UtcNow }],
        });

    [Fact]
    public async Task A_budget_admits_while_its_headroom_covers_each_worst_case_and_a_settled_request_frees_its_share()
    {
        var key = await NewKeyAsync(new KeyLimits { DailyBudgetUsd = 1m });
        var holder = Holder(key);
        var holds = new List<BudgetHold>();
        for (var i = 0; i < 3; i++)
        {
            var admitted = await holder.AdmitAsync(key, 10, 10, worstUsd: 0.3m);
            Assert.True(admitted.Admitted, admitted.Denial?.Message);
            Assert.Equal(0.3m, admitted.Budget!.Usd);
            holds.Add(admitted.Budget);
        }
        var refused = await holder.AdmitAsync(key, 10, 10, worstUsd: 0.3m);
        Assert.False(refused.Admitted);
        Assert.Equal(DenialReason.DailyBudget, refused.Denial!.Reason);

        // A cheaper request is not caught by the refusal of a dearer one.
        Assert.True((await holder.AdmitAsync(key, 10, 10, worstUsd: 0.05m)).Admitted);

        // Its charge reaches the grain naming the activation that holds it; then this front stops declaring it.
        Assert.NotEqual(Guid.Empty, holds[0].Epoch);
        await Settle(key, holds[0], holds[0].Epoch);
        holds[0].Release();
        await Eventually.HoldsAsync("the settled request's hold is headroom again", async () =>
            (await holder.AdmitAsync(key, 10, 10, worstUsd: 0.3m)).Admitted, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Keys_without_a_budget_take_no_hold()
    {
        var key = await NewKeyAsync(new KeyLimits { RequestsPerMinute = 1000 });
        var admitted = await Holder(key).AdmitAsync(key, 10, 10, worstUsd: 50m);
        Assert.True(admitted.Admitted);
        Assert.Null(admitted.Budget);
    }

    [Fact]
    public async Task After_the_grain_is_reactivated_the_front_declares_what_it_still_runs_and_no_more_is_admitted()
    {
        var key = await NewKeyAsync(new KeyLimits { DailyBudgetUsd = 1m });
        var holder = Holder(key);
        var first = (await holder.AdmitAsync(key, 10, 10, worstUsd: 0.4m)).Budget!;
        var second = (await holder.AdmitAsync(key, 10, 10, worstUsd: 0.4m)).Budget!;

        // The grain's activation is lost (as with a silo killed) while both requests are running or not yet
        // charged: $0.80 is held nowhere.
        await fixture.Cluster.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);

        // The front's next call declares its $0.80 running: the new activation holds it, $0.20 is left.
        var third = await holder.AdmitAsync(key, 10, 10, worstUsd: 0.4m);
        Assert.False(third.Admitted);
        Assert.Equal(DenialReason.DailyBudget, third.Denial!.Reason);

        // The charges name the new activation, which releases what it took over.
        Assert.NotEqual(Guid.Empty, first.Epoch);
        await Settle(key, first, first.Epoch);
        await Settle(key, second, second.Epoch);
        first.Release();
        second.Release();
        await Eventually.HoldsAsync("the running requests' holds are released by the new activation", async () =>
            (await holder.AdmitAsync(key, 10, 10, worstUsd: 0.9m)).Admitted, TimeSpan.FromSeconds(10));
    }
}

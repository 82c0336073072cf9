using Gateway.Grains.Abstractions;
using Gateway.Grains.Storage;

namespace Gateway.Tests.Grains;

/// <summary>Budget holds (open Message Batches): counted with spend, moved without a second check, reloaded on activation.</summary>
[Collection(GrainClusterCollection.Name)]
public sealed class ApiKeyGrainHoldTests(GrainClusterFixture fixture)
{
    private static async Task<KeyDescriptor> NewKeyAsync(decimal dailyBudget)
    {
        var team = await GrainClusterFixture.Keys.CreateTeamAsync(new NewTeam("team-" + Guid.NewGuid().ToString("N")[..8], "cc-42"));
        var secret = KeySecrets.Generate();
        return await GrainClusterFixture.Keys.CreateKeyAsync(
            new NewKey { TeamId = team.TeamId, Name = "test", Limits = new KeyLimits { DailyBudgetUsd = dailyBudget } },
            KeySecrets.Hash(secret), secret[..KeySecrets.DisplayPrefixLength]);
    }

    private static LeaseRequest Ask() => new() { FrontId = "front", Requests = 1 };

    [Fact]
    public async Task A_hold_must_fit_the_budget_and_counts_against_it_until_released()
    {
        var key = await NewKeyAsync(1m);
        var grain = fixture.Grains.GetGrain<IApiKeyGrain>(key.KeyId);
        Assert.Null(await grain.HoldAsync(new BatchBudgetHold { HoldId = "pending:1", Usd = 0.6m }));
        var refused = await grain.HoldAsync(new BatchBudgetHold { HoldId = "pending:2", Usd = 0.5m });
        Assert.Equal(DenialReason.DailyBudget, refused!.Reason);
        Assert.Contains("held by open batches", refused.Message);
        // Moving the hold to the batch's id does not check (or count) it twice.
        Assert.Null(await grain.HoldAsync(new BatchBudgetHold { HoldId = "msgbatch_a", Usd = 0.6m, Replaces = "pending:1" }));
        Assert.Null(await grain.HoldAsync(new BatchBudgetHold { HoldId = "pending:3", Usd = 0.4m }));
        // Spent (0) + held (1.0) reaches the budget: ordinary requests are refused too.
        Assert.Equal(DenialReason.DailyBudget, (await grain.AcquireLeaseAsync(Ask())).Denial!.Reason);
        await grain.ReleaseHoldAsync("msgbatch_a");
        await grain.ReleaseHoldAsync("msgbatch_a");
        Assert.Null((await grain.AcquireLeaseAsync(Ask())).Denial);
    }

    [Fact]
    public async Task A_provisional_hold_lapses_at_its_expiry()
    {
        var key = await NewKeyAsync(1m);
        var grain = fixture.Grains.GetGrain<IApiKeyGrain>(key.KeyId);
        Assert.Null(await grain.HoldAsync(new BatchBudgetHold { HoldId = "pending:a", Usd = 0.9m, ExpiresAt = DateTimeOffset.UtcNow.AddMilliseconds(300) }));
        Assert.NotNull(await grain.HoldAsync(new BatchBudgetHold { HoldId = "pending:b", Usd = 0.5m }));
        await Task.Delay(500);
        Assert.Null(await grain.HoldAsync(new BatchBudgetHold { HoldId = "pending:c", Usd = 0.5m }));
    }

    [Fact]
    public async Task Open_batches_are_held_again_when_the_grain_is_activated()
    {
        var key = await NewKeyAsync(1m);
        await GrainClusterFixture.Batches.InsertAsync(new BatchRecord
        {
            BatchId = "msgbatch_" + Guid.NewGuid().ToString("N"),
            KeyId = key.KeyId,
            TeamId = key.TeamId,
            Provider = "anthropic",
            UpstreamKeyId = "uk_test",
            ReservedUsd = 0.9m,
            Status = "in_progress",
            CreatedAt = DateTimeOffset.UtcNow,
        });
        var grain = fixture.Grains.GetGrain<IApiKeyGrain>(key.KeyId);
        Assert.Equal(DenialReason.DailyBudget, (await grain.HoldAsync(new BatchBudgetHold { HoldId = "pending:x", Usd = 0.2m }))!.Reason);
        Assert.Null(await grain.HoldAsync(new BatchBudgetHold { HoldId = "pending:y", Usd = 0.05m }));
    }

    [Fact]
    public async Task A_negative_hold_is_refused_and_a_negative_row_reloads_as_zero()
    {
        var key = await NewKeyAsync(1m);
        var grain = fixture.Grains.GetGrain<IApiKeyGrain>(key.KeyId);
        // A negative hold would be a credit: spent + held under the budget whatever was spent.
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => grain.HoldAsync(new BatchBudgetHold { HoldId = "pending:neg", Usd = -250_000_000_000m }));
        Assert.NotNull(await grain.HoldAsync(new BatchBudgetHold { HoldId = "pending:big", Usd = 1.5m }));

        // A row written negative before holds were checked must not switch the budget off on activation.
        var other = await NewKeyAsync(1m);
        foreach (var usd in new[] { -250_000_000_000m, 0.9m })
        {
            await GrainClusterFixture.Batches.InsertAsync(new BatchRecord
            {
                BatchId = "msgbatch_" + Guid.NewGuid().ToString("N"),
                KeyId = other.KeyId,
                TeamId = other.TeamId,
                Provider = "anthropic",
                UpstreamKeyId = "uk_test",
                ReservedUsd = usd,
                Status = "in_progress",
                CreatedAt = DateTimeOffset.UtcNow,
            });
        }
        var reloaded = fixture.Grains.GetGrain<IApiKeyGrain>(other.KeyId);
        Assert.Equal(DenialReason.DailyBudget, (await reloaded.HoldAsync(new BatchBudgetHold { HoldId = "pending:x", Usd = 0.2m }))!.Reason);
    }
}

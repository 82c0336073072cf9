using Gateway.Grains.Abstractions;
using Gateway.Grains.Storage;

namespace Gateway.Tests.Usage;

/// <summary>Rollups through the real grains and Postgres: a retried batch never counts twice, whoever retries it.</summary>
[Collection(UsageClusterCollection.Name)]
public sealed class SettlementRollupTests(UsageClusterFixture fixture)
{
    private static readonly DateTimeOffset At = new(2027, 1, 15, 8, 30, 12, TimeSpan.Zero);
    private static readonly DateTimeOffset Minute = new(2027, 1, 15, 8, 30, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_retried_batch_changes_neither_rollups_nor_spend_even_on_a_new_activation()
    {
        var team = await fixture.Keys.CreateTeamAsync(new NewTeam("retry-" + Guid.NewGuid().ToString("N")[..8], "cc-retry"));
        var secret = KeySecrets.Generate();
        var key = (await fixture.Keys.CreateKeyAsync(new NewKey { TeamId = team.TeamId, Name = "retry" },
            KeySecrets.Hash(secret), KeySecrets.DisplayPrefix(secret))).KeyId;
        var grain = fixture.Grains.GetGrain<IApiKeyGrain>(key);
        var batch = new SettlementBatch
        {
            BatchId = Guid.NewGuid(),
            Charges =
            [
                // 1000×3 + 100×15 + 4000×3.75 + 8000×0.3 = 21 900 µ$; savings 8000×2.7 − 4000×0.75 = 18 600 µ$.
                new UsageCharge { RequestId = "x1", Model = UsageWorkload.Sonnet, InputTokens = 1000, OutputTokens = 100,
                    CacheCreationInputTokens = 4000, CacheReadInputTokens = 8000, ToolCalls = 3, At = At },
                // claude-3-haiku: 0.25 / 1.25 per MTok, cache read 0.025: 7 × 0.025 µ$ = 0.175 µ$ → 0.00000018 (rounded per request).
                new UsageCharge { RequestId = "x2", Model = "claude-3-haiku-20240307", CacheReadInputTokens = 7, At = At.AddSeconds(30) },
                new UsageCharge { RequestId = "x3", Model = UsageWorkload.Sonnet, OutputTokens = 10, At = At.AddSeconds(40) },
            ],
        };
        UsageMinute[] expected =
        [
            // 7 × (0.25 − 0.025) = 1.575 µ$ saved → 0.00000158.
            new(key, "claude-3-haiku-20240307", Minute, 1, 0, 0, 0, 7, 0.00000018m, 0.00000158m, 0),
            new(key, UsageWorkload.Sonnet, Minute, 2, 1000, 110, 4000, 8000, 0.02205m, 0.0186m, 3),
        ];

        var first = await grain.SettleAsync(batch);
        Assert.Equal(expected, await RollupsAsync(key));
        Assert.Equal(0.02205018m, first.SpentTodayUsd);

        // The same grain again, the same batch on a fresh activation (as after a silo failure), and the store directly.
        Assert.Equal(first, await grain.SettleAsync(batch));
        await fixture.Cluster.DeactivateAsync(grain);
        Assert.Equal(first.SpentTodayUsd, (await grain.SettleAsync(batch)).SpentTodayUsd);
        Assert.False(await fixture.Spend.ApplyAsync(key, batch.BatchId, [new PricedCharge { Model = "m", Minute = At, CostUsd = 1m }], At));

        Assert.Equal(expected, await RollupsAsync(key));
        Assert.Equal(0.02205018m, (await fixture.Spend.LoadAsync(key, DateTimeOffset.UtcNow)).SpentTodayUsd);
        // The fresh activation counted nothing for the repeat (its request counter starts from zero).
        Assert.Equal(0, (await grain.GetUsageAsync()).Requests);

        // A new batch does add, to the same rows.
        await grain.SettleAsync(batch with { BatchId = Guid.NewGuid(), Charges = [batch.Charges[2]] });
        var rows = await RollupsAsync(key);
        Assert.Equal(3, rows.Single(r => r.Model == UsageWorkload.Sonnet).Requests);
        Assert.Equal(0.02220m, rows.Single(r => r.Model == UsageWorkload.Sonnet).CostUsd);
    }

    private Task<IReadOnlyList<UsageMinute>> RollupsAsync(string key) =>
        fixture.Spend.ReadRollupsAsync(key, Minute.AddHours(-1), Minute.AddHours(1));
}

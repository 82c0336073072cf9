using Gateway.Grains.Storage;

namespace Gateway.Tests.Storage;

/// <summary>
/// What every <see cref="IBatchStore"/> must do, written once for <see cref="PostgresBatchStoreTests"/>
/// and <see cref="InMemoryBatchStoreTests"/>. Each test uses its own team, key and batch ids.
/// </summary>
public abstract class BatchStoreContract
{
    protected abstract IBatchStore Store { get; }

    private static readonly DateTimeOffset Noon = new(2025, 3, 14, 12, 0, 0, TimeSpan.Zero);

    private static BatchRecord New(string team, string key, int minute, decimal reserved = 1m) => new()
    {
        BatchId = "msgbatch_" + Guid.NewGuid().ToString("N"),
        KeyId = key,
        TeamId = team,
        BillingTag = "cc-1",
        Provider = "anthropic",
        UpstreamKeyId = "uk_abc",
        RequestCount = 3,
        ReservedUsd = reserved,
        Status = "in_progress",
        CreatedAt = Noon.AddMinutes(minute),
    };

    [Fact]
    public async Task A_team_lists_only_its_own_batches_newest_first_and_pages_both_ways()
    {
        var team = "team_" + Guid.NewGuid().ToString("N")[..8];
        var batches = new List<BatchRecord>();
        for (var i = 0; i < 5; i++)
        {
            var batch = New(team, "key_a", i);
            batches.Add(batch);
            await Store.InsertAsync(batch);
        }
        var other = New("team_other_" + Guid.NewGuid().ToString("N")[..6], "key_b", 10);
        await Store.InsertAsync(other);
        var newest = batches.AsEnumerable().Reverse().Select(b => b.BatchId).ToList();

        Assert.Equal(newest[..3], (await Store.ListByTeamAsync(team, 2, null, null)).Select(b => b.BatchId));
        Assert.Equal(newest[2..5], (await Store.ListByTeamAsync(team, 2, null, newest[1])).Select(b => b.BatchId));
        Assert.Equal(newest[..2], (await Store.ListByTeamAsync(team, 2, newest[2], null)).Select(b => b.BatchId));
        Assert.Empty(await Store.ListByTeamAsync(team, 2, null, other.BatchId));

        await Store.MarkDeletedAsync(newest[0], Noon);
        Assert.Equal(newest[1..5], (await Store.ListByTeamAsync(team, 10, null, null)).Select(b => b.BatchId));
        Assert.NotNull((await Store.FindAsync(newest[0]))!.DeletedAt);
    }

    [Fact]
    public async Task Open_holds_are_the_unsettled_batches_and_settling_is_once()
    {
        var key = "key_" + Guid.NewGuid().ToString("N")[..8];
        var open = New("team_x", key, 0, 0.25m);
        var settled = New("team_x", key, 1, 0.5m);
        await Store.InsertAsync(open);
        await Store.InsertAsync(settled);
        await Store.InsertAsync(settled with { ReservedUsd = 9m });
        Assert.True(await Store.MarkSettledAsync(settled.BatchId, 0.125m, Noon));
        Assert.False(await Store.MarkSettledAsync(settled.BatchId, 7m, Noon));

        Assert.Equal([new OpenHold(open.BatchId, 0.25m)], await Store.OpenHoldsAsync(key));
        var row = (await Store.FindAsync(settled.BatchId))!;
        Assert.Equal((0.125m, 0.5m, "ended"), (row.ChargedUsd, row.ReservedUsd, row.Status));

        await Store.UpdateStatusAsync(open.BatchId, "canceling", null);
        await Store.UpdateStatusAsync(open.BatchId, "ended", Noon.AddHours(1));
        var updated = (await Store.FindAsync(open.BatchId))!;
        Assert.Equal(("ended", Noon.AddHours(1)), (updated.Status, updated.EndedAt));
    }

    [Fact]
    public async Task A_due_batch_is_claimed_by_one_sweep_until_its_recheck_time()
    {
        var batch = New("team_y", "key_" + Guid.NewGuid().ToString("N")[..8], 0);
        await Store.InsertAsync(batch);
        var now = Noon.AddDays(3650);
        var first = await Store.ClaimDueAsync(10_000, TimeSpan.FromMinutes(1), now);
        Assert.Contains(first, b => b.BatchId == batch.BatchId);
        Assert.DoesNotContain(await Store.ClaimDueAsync(10_000, TimeSpan.FromMinutes(1), now), b => b.BatchId == batch.BatchId);
        Assert.Contains(await Store.ClaimDueAsync(10_000, TimeSpan.FromMinutes(1), now.AddMinutes(2)), b => b.BatchId == batch.BatchId);
        await Store.MarkSettledAsync(batch.BatchId, 0, now);
        Assert.DoesNotContain(await Store.ClaimDueAsync(10_000, TimeSpan.FromMinutes(1), now.AddMinutes(10)), b => b.BatchId == batch.BatchId);
    }
}

using Gateway.Grains.Storage;

namespace Gateway.Tests.Storage;

/// <summary>
/// What every <see cref="ISpendStore"/> must do, written once for <see cref="PostgresSpendStoreTests"/>
/// and <see cref="InMemorySpendStoreTests"/>. Each test uses its own key ids.
/// </summary>
public abstract class SpendStoreContract
{
    protected abstract ISpendStore Store { get; }

    private static readonly DateTimeOffset Noon = new(2025, 3, 14, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_key_without_history_has_spent_nothing_and_no_buckets()
    {
        var state = await Store.LoadAsync(NewKeyId(), Noon);
        Assert.Equal(new KeySpendState(0m, 0m, null), state);
    }

    [Fact]
    public async Task The_same_batch_applied_twice_counts_once()
    {
        var key = NewKeyId();
        var batch = Guid.NewGuid();

        Assert.True(await Store.ApplyAsync(key, batch, 1.25m, Noon));
        Assert.False(await Store.ApplyAsync(key, batch, 1.25m, Noon));
        Assert.True(await Store.ApplyAsync(key, Guid.NewGuid(), 0.5m, Noon));

        var state = await Store.LoadAsync(key, Noon);
        Assert.Equal((1.75m, 1.75m), (state.SpentTodayUsd, state.SpentThisMonthUsd));
    }

    [Fact]
    public async Task Concurrent_appliers_of_one_batch_count_it_once()
    {
        var key = NewKeyId();
        var batch = Guid.NewGuid();
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var appliers = Enumerable.Range(0, 16)
            .Select(_ => Task.Run(async () =>
            {
                await start.Task;
                return await Store.ApplyAsync(key, batch, 3m, Noon);
            }))
            .ToList();
        start.SetResult();
        var results = await Task.WhenAll(appliers);

        Assert.Single(results, applied => applied);
        Assert.Equal(3m, (await Store.LoadAsync(key, Noon)).SpentTodayUsd);
    }

    [Fact]
    public async Task Concurrent_distinct_batches_all_count()
    {
        var key = NewKeyId();
        var results = await Task.WhenAll(Enumerable.Range(0, 20)
            .Select(_ => Task.Run(() => Store.ApplyAsync(key, Guid.NewGuid(), 0.1m, Noon))));

        Assert.All(results, Assert.True);
        Assert.Equal(2.0m, (await Store.LoadAsync(key, Noon)).SpentTodayUsd);
    }

    [Fact]
    public async Task Day_and_month_sums_follow_UTC_calendar_boundaries()
    {
        var key = NewKeyId();
        var lastSecondOfJanuary = new DateTimeOffset(2025, 1, 31, 23, 59, 59, TimeSpan.Zero);
        var firstSecondOfFebruary = new DateTimeOffset(2025, 2, 1, 0, 0, 0, TimeSpan.Zero);
        var midFebruary = new DateTimeOffset(2025, 2, 15, 8, 30, 0, TimeSpan.Zero);
        await Store.ApplyAsync(key, Guid.NewGuid(), 1m, lastSecondOfJanuary);
        await Store.ApplyAsync(key, Guid.NewGuid(), 2m, firstSecondOfFebruary);
        await Store.ApplyAsync(key, Guid.NewGuid(), 4m, midFebruary);
        await Store.ApplyAsync(key, Guid.NewGuid(), 8m, midFebruary.AddHours(1));

        Assert.Equal((1m, 1m), Sums(await Store.LoadAsync(key, lastSecondOfJanuary)));
        Assert.Equal((2m, 14m), Sums(await Store.LoadAsync(key, firstSecondOfFebruary)));
        Assert.Equal((12m, 14m), Sums(await Store.LoadAsync(key, midFebruary)));
        Assert.Equal((0m, 14m), Sums(await Store.LoadAsync(key, new DateTimeOffset(2025, 2, 28, 23, 0, 0, TimeSpan.Zero))));
        Assert.Equal((0m, 0m), Sums(await Store.LoadAsync(key, new DateTimeOffset(2025, 3, 1, 0, 0, 0, TimeSpan.Zero))));
    }

    [Fact]
    public async Task A_time_with_an_offset_counts_on_its_UTC_day()
    {
        var key = NewKeyId();
        // 01:00 on 1 February in UTC+2 is 23:00 on 31 January in UTC.
        var localMorning = new DateTimeOffset(2025, 2, 1, 1, 0, 0, TimeSpan.FromHours(2));
        await Store.ApplyAsync(key, Guid.NewGuid(), 5m, localMorning);

        Assert.Equal((5m, 5m), Sums(await Store.LoadAsync(key, new DateTimeOffset(2025, 1, 31, 12, 0, 0, TimeSpan.Zero))));
        Assert.Equal((0m, 0m), Sums(await Store.LoadAsync(key, new DateTimeOffset(2025, 2, 1, 12, 0, 0, TimeSpan.Zero))));
    }

    [Fact]
    public async Task Spend_keeps_eight_decimal_places_and_stays_per_key()
    {
        var key = NewKeyId();
        var other = NewKeyId();
        for (var i = 0; i < 3; i++)
        {
            await Store.ApplyAsync(key, Guid.NewGuid(), 0.12345678m, Noon);
        }
        await Store.ApplyAsync(other, Guid.NewGuid(), 100m, Noon);

        Assert.Equal(0.37037034m, (await Store.LoadAsync(key, Noon)).SpentThisMonthUsd);
        Assert.Equal(100m, (await Store.LoadAsync(other, Noon)).SpentThisMonthUsd);
    }

    [Fact]
    public async Task Saved_buckets_load_back_and_the_last_save_wins()
    {
        var key = NewKeyId();
        var first = new BucketLevels(12.5, null, 40_000.25, Noon);
        await Store.SaveBucketsAsync(key, first);
        Assert.Equal(first, (await Store.LoadAsync(key, Noon)).Buckets);

        var second = new BucketLevels(null, 1_000_000, null, Noon.AddSeconds(3).AddMilliseconds(250));
        await Store.SaveBucketsAsync(key, second);
        var state = await Store.LoadAsync(key, Noon);
        Assert.Equal(second, state.Buckets);
        Assert.Equal((0m, 0m), Sums(state));
    }

    private static (decimal Today, decimal Month) Sums(KeySpendState state) => (state.SpentTodayUsd, state.SpentThisMonthUsd);

    private static string NewKeyId() => StoreIds.NewKeyId();
}

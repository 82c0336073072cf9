using Gateway.Grains.Abstractions;
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

        Assert.True(await ApplyAsync(key, batch, 1.25m, Noon));
        Assert.False(await ApplyAsync(key, batch, 1.25m, Noon));
        Assert.True(await ApplyAsync(key, Guid.NewGuid(), 0.5m, Noon));

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
                return await ApplyAsync(key, batch, 3m, Noon);
            }))
            .ToList();
        start.SetResult();
        var results = await Task.WhenAll(appliers);

        Assert.Single(results, applied => applied);
        Assert.Equal(3m, (await Store.LoadAsync(key, Noon)).SpentTodayUsd);
        var row = Assert.Single(await Store.ReadRollupsAsync(key, Noon, Noon.AddMinutes(1)));
        Assert.Equal((1, 3m), (row.Requests, row.CostUsd));
    }

    [Fact]
    public async Task Concurrent_distinct_batches_all_count()
    {
        var key = NewKeyId();
        var results = await Task.WhenAll(Enumerable.Range(0, 20)
            .Select(_ => Task.Run(() => ApplyAsync(key, Guid.NewGuid(), 0.1m, Noon))));

        Assert.All(results, Assert.True);
        Assert.Equal(2.0m, (await Store.LoadAsync(key, Noon)).SpentTodayUsd);
        var row = Assert.Single(await Store.ReadRollupsAsync(key, Noon, Noon.AddMinutes(1)));
        Assert.Equal((20, 2.0m), (row.Requests, row.CostUsd));
    }

    [Fact]
    public async Task Day_and_month_sums_follow_UTC_calendar_boundaries()
    {
        var key = NewKeyId();
        var lastSecondOfJanuary = new DateTimeOffset(2025, 1, 31, 23, 59, 59, TimeSpan.Zero);
        var firstSecondOfFebruary = new DateTimeOffset(2025, 2, 1, 0, 0, 0, TimeSpan.Zero);
        var midFebruary = new DateTimeOffset(2025, 2, 15, 8, 30, 0, TimeSpan.Zero);
        await ApplyAsync(key, Guid.NewGuid(), 1m, lastSecondOfJanuary);
        await ApplyAsync(key, Guid.NewGuid(), 2m, firstSecondOfFebruary);
        await ApplyAsync(key, Guid.NewGuid(), 4m, midFebruary);
        await ApplyAsync(key, Guid.NewGuid(), 8m, midFebruary.AddHours(1));

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
        await ApplyAsync(key, Guid.NewGuid(), 5m, localMorning);

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
            await ApplyAsync(key, Guid.NewGuid(), 0.12345678m, Noon);
        }
        await ApplyAsync(other, Guid.NewGuid(), 100m, Noon);

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

        // With the budget money the grain held (a key with a budget), to 8 decimals like all money here.
        var second = new BucketLevels(null, 1_000_000, null, Noon.AddSeconds(3).AddMilliseconds(250), 0.01508412m);
        await Store.SaveBucketsAsync(key, second);
        var state = await Store.LoadAsync(key, Noon);
        Assert.Equal(second, state.Buckets);
        Assert.Equal((0m, 0m), Sums(state));
    }

    [Fact]
    public async Task Charges_roll_up_per_model_and_UTC_minute_and_a_repeated_batch_adds_nothing()
    {
        var key = NewKeyId();
        var batch = Guid.NewGuid();
        // 12:00:05 and 12:00:59 share a minute; 12:01:00 starts the next; 14:00:30 in UTC+2 is 12:00:30 UTC.
        PricedCharge[] charges =
        [
            Charge("claude-sonnet-4-5", Noon.AddSeconds(5), input: 100, output: 10, cacheWrite: 1000, cacheRead: 0, cost: 0.1m, savings: -0.00075m, tools: 1),
            Charge("claude-sonnet-4-5", Noon.AddSeconds(59), input: 200, output: 20, cacheWrite: 0, cacheRead: 5000, cost: 0.2m, savings: 0.0135m, tools: 2),
            Charge("claude-sonnet-4-5", Noon.AddMinutes(1), input: 1, output: 1, cacheWrite: 0, cacheRead: 0, cost: 0.00000001m, savings: 0m, tools: 0),
            Charge("claude-haiku-4-5", new DateTimeOffset(2025, 3, 14, 14, 0, 30, TimeSpan.FromHours(2)), input: 7, output: 3, cacheWrite: 0, cacheRead: 0, cost: 0.5m, savings: 0m, tools: 4),
        ];
        Assert.True(await Store.ApplyAsync(key, batch, charges, Noon.AddMinutes(2)));
        Assert.False(await Store.ApplyAsync(key, batch, charges, Noon.AddMinutes(2)));

        var rows = await Store.ReadRollupsAsync(key, Noon.AddHours(-1), Noon.AddHours(1));
        UsageMinute[] expected =
        [
            new(key, "claude-haiku-4-5", Noon, 1, 7, 3, 0, 0, 0.5m, 0m, 4),
            new(key, "claude-sonnet-4-5", Noon, 2, 300, 30, 1000, 5000, 0.3m, 0.01275m, 3),
            new(key, "claude-sonnet-4-5", Noon.AddMinutes(1), 1, 1, 1, 0, 0, 0.00000001m, 0m, 0),
        ];
        Assert.Equal(expected, rows);
        Assert.All(rows, r => Assert.Equal(TimeSpan.Zero, r.Minute.Offset));
        Assert.Equal(0.80000001m, (await Store.LoadAsync(key, Noon)).SpentTodayUsd);

        // The range is half-open, and other keys' rows stay theirs.
        Assert.Single(await Store.ReadRollupsAsync(key, Noon.AddMinutes(1), Noon.AddMinutes(2)));
        Assert.Empty(await Store.ReadRollupsAsync(NewKeyId(), Noon.AddHours(-1), Noon.AddHours(1)));
    }

    [Fact]
    public async Task Later_batches_add_to_the_same_rollup_rows()
    {
        var key = NewKeyId();
        for (var i = 0; i < 3; i++)
        {
            Assert.True(await Store.ApplyAsync(key, Guid.NewGuid(),
                [Charge("m", Noon.AddSeconds(i), input: 10, output: 1, cacheWrite: 0, cacheRead: 0, cost: 0.12345678m, savings: 0m, tools: 1)], Noon));
        }
        // An empty batch is recorded (a repeat of it is refused) and changes no rollup.
        var empty = Guid.NewGuid();
        Assert.True(await Store.ApplyAsync(key, empty, [], Noon));
        Assert.False(await Store.ApplyAsync(key, empty, [], Noon));

        var row = Assert.Single(await Store.ReadRollupsAsync(key, Noon, Noon.AddMinutes(1)));
        Assert.Equal(new UsageMinute(key, "m", Noon, 3, 30, 3, 0, 0, 0.37037034m, 0m, 3), row);
    }

    private Task<bool> ApplyAsync(string keyId, Guid batchId, decimal costUsd, DateTimeOffset at) =>
        Store.ApplyAsync(keyId, batchId, [new PricedCharge { Model = "claude-sonnet-4-5", Minute = at, CostUsd = costUsd }], at);

    private static PricedCharge Charge(string model, DateTimeOffset at, long input, long output, long cacheWrite, long cacheRead,
        decimal cost, decimal savings, long tools) => new()
        {
            Model = model,
            Minute = at,
            Tokens = new TokenUsage(input, output, cacheWrite, cacheRead),
            CostUsd = cost,
            CacheSavingsUsd = savings,
            ToolCalls = tools,
        };

    private static (decimal Today, decimal Month) Sums(KeySpendState state) => (state.SpentTodayUsd, state.SpentThisMonthUsd);

    private static string NewKeyId() => StoreIds.NewKeyId();
}

using Gateway.Grains.Abstractions;
using Gateway.Grains.Storage;
using Gateway.Tests.Hosting;

namespace Gateway.Tests.Grains;

[Collection(GrainClusterCollection.Name)]
public sealed class ApiKeyGrainTests(GrainClusterFixture fixture)
{
    private static async Task<KeyDescriptor> NewKeyAsync(KeyLimits limits, SessionLimits? session = null)
    {
        var team = await GrainClusterFixture.Keys.CreateTeamAsync(new NewTeam("team-" + Guid.NewGuid().ToString("N")[..8], "cc-42"));
        var secret = KeySecrets.Generate();
        return await GrainClusterFixture.Keys.CreateKeyAsync(
            new NewKey { TeamId = team.TeamId, Name = "test", Limits = limits, SessionLimits = session },
            KeySecrets.Hash(secret), secret[..KeySecrets.DisplayPrefixLength]);
    }

    private static LeaseRequest Ask(string front, long requests, long input = 0, long output = 0) =>
        new() { FrontId = front, Requests = requests, InputTokens = input, OutputTokens = output, MinInputTokens = input / Math.Max(1, requests), MinOutputTokens = output / Math.Max(1, requests) };

    [Fact]
    public async Task Leases_to_several_fronts_never_add_up_to_more_than_the_bucket()
    {
        var key = await NewKeyAsync(new KeyLimits { RequestsPerMinute = 60 });
        var grain = fixture.Grains.GetGrain<IApiKeyGrain>(key.KeyId);
        long granted = 0;
        for (var i = 0; i < 40; i++)
        {
            granted += (await grain.AcquireLeaseAsync(Ask("front-a", 10))).Requests;
            granted += (await grain.AcquireLeaseAsync(Ask("front-b", 10))).Requests;
        }
        // 60 in the bucket plus at most a request or two of refill during the test.
        Assert.InRange(granted, 59, 62);
        var denied = await grain.AcquireLeaseAsync(Ask("front-a", 1));
        Assert.Equal(0, denied.Requests);
        Assert.Equal(DenialReason.Requests, denied.Denial!.Reason);
        Assert.Contains("60 requests per minute", denied.Denial.Message);
        Assert.InRange(denied.Denial.RetryAfter, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(1.1));
        Assert.Equal(60, denied.Snapshot.Requests!.Value.Limit);
    }

    [Fact]
    public async Task Returned_leftovers_go_back_into_the_bucket()
    {
        var key = await NewKeyAsync(new KeyLimits { RequestsPerMinute = 10 });
        var grain = fixture.Grains.GetGrain<IApiKeyGrain>(key.KeyId);
        var first = await grain.AcquireLeaseAsync(Ask("front-a", 100));
        Assert.Equal(5, first.Requests); // at most half of what is available per grant, for fairness
        var second = await grain.AcquireLeaseAsync(Ask("front-a", 100) with { ReturnedRequests = first.Requests });
        Assert.Equal(5, second.Requests);
        Assert.Equal(5, second.Snapshot.Requests!.Value.Remaining);
    }

    [Fact]
    public async Task A_retried_lease_call_gets_the_lease_its_first_attempt_was_granted()
    {
        var key = await NewKeyAsync(new KeyLimits { RequestsPerMinute = 20 });
        var grain = fixture.Grains.GetGrain<IApiKeyGrain>(key.KeyId);
        var first = await grain.AcquireLeaseAsync(Ask("front-a", 100) with { Sequence = 7 });
        Assert.Equal(10, first.Requests);
        // The front timed out waiting for the first attempt and retries it, handing back nothing this time: the same
        // activation answers with the same slice instead of taking another half of the bucket.
        var retry = await grain.AcquireLeaseAsync(Ask("front-a", 100) with { Sequence = 7 });
        Assert.Equal((first.Requests, first.ValidUntil, first.Snapshot), (retry.Requests, retry.ValidUntil, retry.Snapshot));
        // Another front's call with the same number is its own call.
        var other = await grain.AcquireLeaseAsync(Ask("front-b", 100) with { Sequence = 7 });
        Assert.Equal(5, other.Requests);
        // The next numbered call of front-a is a new one.
        var next = await grain.AcquireLeaseAsync(Ask("front-a", 100) with { Sequence = 8, ReturnedRequests = first.Requests });
        Assert.Equal(7, next.Requests);
        Assert.Equal(8, next.Snapshot.Requests!.Value.Remaining);
    }

    [Fact]
    public async Task Token_buckets_are_trued_up_by_settlement()
    {
        var key = await NewKeyAsync(new KeyLimits { OutputTokensPerMinute = 10_000 });
        var grain = fixture.Grains.GetGrain<IApiKeyGrain>(key.KeyId);
        var lease = await grain.AcquireLeaseAsync(Ask("f", 1, output: 4000));
        Assert.Equal(4000, lease.OutputTokens);
        Assert.Equal(6000, lease.Snapshot.OutputTokens!.Value.Remaining);
        // The request used 100 of the 4000 reserved: 3900 come back.
        await grain.SettleAsync(new SettlementBatch
        {
            BatchId = Guid.NewGuid(),
            Charges = [new UsageCharge { RequestId = "r1", Model = "claude-sonnet-4-5", ReservedOutputTokens = 4000, OutputTokens = 100, At = DateTimeOffset.UtcNow }],
        });
        var usage = await grain.GetUsageAsync();
        Assert.InRange(usage.Snapshot!.OutputTokens!.Value.Remaining, 9900, 10_000);
        Assert.Equal(100, usage.OutputTokens);
    }

    [Fact]
    public async Task Settlement_is_priced_and_a_repeated_batch_counts_once()
    {
        var key = await NewKeyAsync(KeyLimits.Unlimited);
        var grain = fixture.Grains.GetGrain<IApiKeyGrain>(key.KeyId);
        var batch = new SettlementBatch
        {
            BatchId = Guid.NewGuid(),
            Charges =
            [
                new UsageCharge
                {
                    RequestId = "r1", Model = "claude-sonnet-4-5-20250929", InputTokens = 1_000_000, OutputTokens = 100_000,
                    CacheCreationInputTokens = 1_000_000, CacheReadInputTokens = 1_000_000, At = DateTimeOffset.UtcNow,
                },
            ],
        };
        var first = await grain.SettleAsync(batch);
        var again = await grain.SettleAsync(batch);
        // Sonnet: $3 input + $1.50 output (100k × $15/M) + $3.75 cache write + $0.30 cache read.
        Assert.Equal(8.55m, first.SpentTodayUsd);
        Assert.Equal(8.55m, again.SpentTodayUsd);
        Assert.Equal(1, (await grain.GetUsageAsync()).Requests);
    }

    [Fact]
    public async Task A_spent_daily_budget_denies_with_a_message_naming_it()
    {
        var key = await NewKeyAsync(new KeyLimits { DailyBudgetUsd = 1m });
        var grain = fixture.Grains.GetGrain<IApiKeyGrain>(key.KeyId);
        Assert.Null((await grain.AcquireLeaseAsync(Ask("f", 1))).Denial);
        await grain.SettleAsync(new SettlementBatch
        {
            BatchId = Guid.NewGuid(),
            Charges = [new UsageCharge { RequestId = "r", Model = "claude-opus-4-1", OutputTokens = 20_000, At = DateTimeOffset.UtcNow }],
        });
        var lease = await grain.AcquireLeaseAsync(Ask("f", 1));
        Assert.Equal(0, lease.Requests);
        Assert.Equal(DenialReason.DailyBudget, lease.Denial!.Reason);
        Assert.Contains("daily budget of $1", lease.Denial.Message);
    }

    [Fact]
    public async Task Revocation_reaches_the_next_lease()
    {
        var key = await NewKeyAsync(KeyLimits.Unlimited);
        var grain = fixture.Grains.GetGrain<IApiKeyGrain>(key.KeyId);
        Assert.Null((await grain.AcquireLeaseAsync(Ask("f", 1))).Denial);
        await GrainClusterFixture.Keys.RevokeKeyAsync(key.KeyId);
        await grain.RefreshAsync();
        var lease = await grain.AcquireLeaseAsync(Ask("f", 1));
        Assert.True(lease.Key.Revoked);
        Assert.Equal(DenialReason.Revoked, lease.Denial!.Reason);
    }

    [Fact]
    public async Task Spend_and_buckets_survive_the_grain_being_deactivated()
    {
        var key = await NewKeyAsync(new KeyLimits { RequestsPerMinute = 100 });
        var grain = fixture.Grains.GetGrain<IApiKeyGrain>(key.KeyId);
        var lease = await grain.AcquireLeaseAsync(Ask("f", 40));
        await grain.SettleAsync(new SettlementBatch
        {
            BatchId = Guid.NewGuid(),
            Charges = [new UsageCharge { RequestId = "r", Model = "claude-haiku-4-5", InputTokens = 1_000_000, At = DateTimeOffset.UtcNow }],
        });
        await Task.Delay(300); // one persist interval for the bucket levels
        await fixture.Cluster.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);

        var usage = await grain.GetUsageAsync();
        Assert.Equal(1m, usage.SpentTodayUsd);
        Assert.InRange(usage.Snapshot!.Requests!.Value.Remaining, 100 - lease.Requests, 100 - lease.Requests + 2);
    }

    [Fact]
    public async Task Stream_quotas_never_add_up_to_more_than_the_limit_and_a_silent_fronts_share_lapses()
    {
        var key = await NewKeyAsync(new KeyLimits { ConcurrentStreams = 3 });
        var grain = fixture.Grains.GetGrain<IApiKeyGrain>(key.KeyId);
        var a = await grain.AcquireLeaseAsync(Ask("front-a", 1) with { WantedStreams = 2 });
        var b = await grain.AcquireLeaseAsync(Ask("front-b", 1) with { WantedStreams = 2 });
        Assert.Equal(2, a.StreamQuota);
        Assert.Equal(1, b.StreamQuota);
        var again = await grain.AcquireLeaseAsync(Ask("front-a", 1) with { ActiveStreams = 2, WantedStreams = 3 });
        Assert.Equal(2, again.StreamQuota);

        // front-b stops renewing (it died): after two lease periods its share is free again.
        await Task.Delay(TimeSpan.FromSeconds(2.2));
        var later = await grain.AcquireLeaseAsync(Ask("front-a", 1) with { ActiveStreams = 2, WantedStreams = 3 });
        Assert.Equal(3, later.StreamQuota);
        Assert.Equal(0, (await grain.AcquireLeaseAsync(Ask("front-c", 1) with { WantedStreams = 1 })).StreamQuota);
    }
    private static LeaseRequest AskUsd(string front, decimal usd, Guid epoch = default, decimal inFlight = 0) =>
        Ask(front, 1) with { Usd = usd, MinUsd = usd, BudgetEpoch = epoch, InFlightUsd = inFlight };

    [Fact]
    public async Task Budget_slices_and_running_requests_hold_headroom_until_they_are_settled()
    {
        var key = await NewKeyAsync(new KeyLimits { DailyBudgetUsd = 1m });
        var grain = fixture.Grains.GetGrain<IApiKeyGrain>(key.KeyId);
        var first = await grain.AcquireLeaseAsync(AskUsd("front-a", 0.3m));
        Assert.Equal(0.3m, first.Usd);
        Assert.Equal(0.3m, (await grain.AcquireLeaseAsync(AskUsd("front-b", 0.3m, first.BudgetEpoch))).Usd);
        Assert.Equal(0.3m, (await grain.AcquireLeaseAsync(AskUsd("front-a", 0.3m, first.BudgetEpoch))).Usd);

        // $0.90 held, nothing spent: a fourth worst case of $0.30 does not fit, and the denial says why.
        var denied = await grain.AcquireLeaseAsync(AskUsd("front-c", 0.3m, first.BudgetEpoch));
        Assert.Equal(0m, denied.Usd);
        Assert.Equal(DenialReason.DailyBudget, denied.Denial!.Reason);
        Assert.Contains("daily budget of $1", denied.Denial.Message);
        Assert.Contains("held by requests still running", denied.Denial.Message);
        Assert.Equal(TimeSpan.FromSeconds(1), denied.Denial.RetryAfter);

        // One request ends having cost $0.01: its $0.30 is released, the cost booked.
        await grain.SettleAsync(new SettlementBatch
        {
            BatchId = Guid.NewGuid(),
            Charges = [new UsageCharge { RequestId = "r", Model = "claude-sonnet-4-5", OutputTokens = 666, ReservedUsd = 0.3m, BudgetEpoch = first.BudgetEpoch, FrontId = "front-a", At = DateTimeOffset.UtcNow }],
        });
        Assert.Equal(0.3m, (await grain.AcquireLeaseAsync(AskUsd("front-c", 0.3m, first.BudgetEpoch))).Usd);

        // A front's unused slice handed back is headroom again ($0.39 left); a slice is at most half of it.
        var returned = await grain.AcquireLeaseAsync(AskUsd("front-a", 0.05m, first.BudgetEpoch) with { ReturnedUsd = 0.3m, Usd = 5m });
        Assert.Equal(0.195005m, returned.Usd);
    }

    [Fact]
    public async Task A_reactivated_grain_holds_again_what_fronts_declare_still_running()
    {
        var key = await NewKeyAsync(new KeyLimits { DailyBudgetUsd = 1m });
        var grain = fixture.Grains.GetGrain<IApiKeyGrain>(key.KeyId);
        var before = await grain.AcquireLeaseAsync(AskUsd("front-a", 0.6m));
        Assert.Equal(0.6m, before.Usd);

        // The activation goes (as with a silo lost): its holds go with it, except what it last saved.
        await fixture.Cluster.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);

        // Until the fronts have declared what they hold (Leases:BudgetHoldCarryOver, 2 s here), the saved
        // $0.60 counts as held: a front that has declared nothing yet gets no headroom beyond the budget.
        var early = await grain.AcquireLeaseAsync(AskUsd("front-b", 0.5m));
        Assert.NotEqual(before.BudgetEpoch, early.BudgetEpoch);
        Assert.Equal(DenialReason.DailyBudget, early.Denial!.Reason);

        // The front still runs $0.60 of requests admitted under the old activation and says so on its next call.
        var after = await grain.AcquireLeaseAsync(AskUsd("front-a", 0.5m, before.BudgetEpoch, inFlight: 0.6m));
        Assert.Equal(DenialReason.DailyBudget, after.Denial!.Reason);

        // Settled under the new activation (the front names the activation it declared them to): released,
        // and once the carry-over has passed the headroom is back.
        await grain.SettleAsync(new SettlementBatch
        {
            BatchId = Guid.NewGuid(),
            Charges = [new UsageCharge { RequestId = "r", Model = "claude-sonnet-4-5", OutputTokens = 10, ReservedUsd = 0.6m, BudgetEpoch = after.BudgetEpoch, FrontId = "front-a", At = DateTimeOffset.UtcNow }],
        });
        await Eventually.HoldsAsync("the released hold is headroom again after the carry-over", async () =>
            (await grain.AcquireLeaseAsync(AskUsd("front-a", 0.5m, after.BudgetEpoch))).Usd == 0.5m, TimeSpan.FromSeconds(10));

        // A charge naming the old activation releases nothing here: that activation's holds are gone already.
        await grain.SettleAsync(new SettlementBatch
        {
            BatchId = Guid.NewGuid(),
            Charges = [new UsageCharge { RequestId = "r2", Model = "claude-sonnet-4-5", OutputTokens = 10, ReservedUsd = 0.5m, BudgetEpoch = before.BudgetEpoch, FrontId = "front-a", At = DateTimeOffset.UtcNow }],
        });
        Assert.Equal(DenialReason.DailyBudget, (await grain.AcquireLeaseAsync(AskUsd("front-b", 0.5m, after.BudgetEpoch))).Denial!.Reason);
    }

    [Fact]
    [Trait(TestSuites.Category, TestSuites.Slow)]
    public async Task A_silent_fronts_holds_are_released_after_the_expiry()
    {
        var key = await NewKeyAsync(new KeyLimits { DailyBudgetUsd = 1m });
        var grain = fixture.Grains.GetGrain<IApiKeyGrain>(key.KeyId);
        var dead = await grain.AcquireLeaseAsync(AskUsd("front-dead", 0.6m));
        Assert.Equal(0.6m, dead.Usd);
        Assert.Equal(DenialReason.DailyBudget, (await grain.AcquireLeaseAsync(AskUsd("front-live", 0.5m, dead.BudgetEpoch))).Denial!.Reason);

        // front-dead never calls again (Leases:BudgetHoldExpiry is 8 s here); front-live keeps calling.
        await Eventually.HoldsAsync("the silent front's $0.60 is released", async () =>
            (await grain.AcquireLeaseAsync(AskUsd("front-live", 0.5m, dead.BudgetEpoch))).Usd == 0.5m, TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task Keys_without_a_budget_keep_no_usd_books()
    {
        var key = await NewKeyAsync(new KeyLimits { RequestsPerMinute = 100 });
        var grain = fixture.Grains.GetGrain<IApiKeyGrain>(key.KeyId);
        var lease = await grain.AcquireLeaseAsync(AskUsd("front-a", 1000m));
        Assert.Null(lease.Usd);
        Assert.Null(lease.Denial);
    }
}

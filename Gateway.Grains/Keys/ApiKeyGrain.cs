using Gateway.Grains.Abstractions;
using Gateway.Grains.Metrics;
using Gateway.Grains.Pricing;
using Gateway.Grains.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gateway.Grains.Keys;

/// <summary>
/// The single writer of one virtual key's limits. Fronts take slices (leases) of its token buckets and
/// admit locally; the slice is deducted here when granted, so fronts can never admit more than the
/// buckets hold. Spend and the per-minute usage rollups are written through to the store on every
/// settlement, in one transaction with the batch id (so a retried batch counts once);
/// bucket levels are saved on a short timer, so a silo crash loses at most that interval of them.
/// </summary>
public sealed class ApiKeyGrain(
    IKeyStore keys,
    ISpendStore spend,
    IBatchStore batches,
    PriceTable prices,
    IOptions<KeyRateOptions> options,
    IOptions<KeyDirectoryOptions> directory,
    TimeProvider time,
    ILogger<ApiKeyGrain> logger) : Grain, IApiKeyGrain
{
    // The stores keep money as numeric(20,8).
    private const int MoneyScale = 8;

    private readonly KeyRateOptions _options = options.Value;
    private KeyDescriptor _key = null!;

    /// <summary>When <see cref="_key"/> was last read from the store: re-read after <see cref="KeyDirectoryOptions.RecheckInterval"/>.</summary>
    private DateTimeOffset _keyReadAt;
    private TokenBucket? _requests;
    private TokenBucket? _input;
    private TokenBucket? _output;
    private decimal _spentToday;
    private decimal _spentMonth;
    private DateOnly _day;
    private bool _bucketsDirty;
    private long _requestCount;
    private TokenUsage _tokens;

    /// <summary>Budget money held for running requests and fronts' slices (keys with a budget only).</summary>
    private readonly BudgetHolds _budget = new();

    /// <summary>Amounts held against the budgets by id (open Message Batches), and their sum.</summary>
    private readonly Dictionary<string, decimal> _holds = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _holdExpiry = new(StringComparer.Ordinal);
    private decimal _held;

    /// <summary>
    /// Each front's share of the concurrency limit, as of its last lease call. A front that stops
    /// calling (it died, or has nothing open) loses its share after two lease periods.
    /// </summary>
    private readonly Dictionary<string, (int Quota, DateTimeOffset At)> _streamQuotas = new(StringComparer.Ordinal);

    /// <summary>Each front's last numbered lease call and what it got, so a retried call gets the same answer.</summary>
    private readonly LeaseReplies _replies = new();

    private string KeyId => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        _key = await keys.FindByIdAsync(KeyId, cancellationToken)
            ?? new KeyDescriptor { KeyId = KeyId, TeamId = "", Revoked = true };
        _keyReadAt = now;
        var state = await spend.LoadAsync(KeyId, now, cancellationToken);
        _spentToday = state.SpentTodayUsd;
        _spentMonth = state.SpentThisMonthUsd;
        _day = DateOnly.FromDateTime(now.UtcDateTime);
        BuildBuckets(state.Buckets, now);
        foreach (var hold in await batches.OpenHoldsAsync(KeyId, cancellationToken))
        {
            // Never below zero: a negative row (written before holds were checked) would be a credit switching the budget off.
            _holds[hold.BatchId] = Math.Max(0, hold.ReservedUsd);
        }
        _held = _holds.Values.Sum();
        _budget.Inherit(state.Buckets?.HeldUsd, now + _options.BudgetHoldCarryOver);
        this.RegisterGrainTimer(PersistBucketsAsync, _options.PersistInterval, _options.PersistInterval);
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        await PersistBucketsAsync(cancellationToken);
    }

    public Task<Lease> AcquireLeaseAsync(LeaseRequest request)
    {
        var now = time.GetUtcNow();
        if (_replies.Find(request) is { } answered)
        {
            return Task.FromResult(answered);
        }
        if (now - _keyReadAt >= directory.Value.RecheckInterval)
        {
            // A revocation or limit change whose notice was lost applies within the recheck interval.
            return RecheckThenLeaseAsync(request);
        }
        RollOver(now);
        _requests?.Adjust(request.ReturnedRequests, now);
        _input?.Adjust(request.ReturnedInputTokens, now);
        _output?.Adjust(request.ReturnedOutputTokens, now);
        if (request.ReturnedRequests != 0 || request.ReturnedInputTokens != 0 || request.ReturnedOutputTokens != 0)
        {
            _bucketsDirty = true;
        }

        _budget.TakeBack(request, now, _options.BudgetHoldExpiry);
        var budgeted = BudgetHolds.Applies(_key.Limits);
        // What is held is saved with the bucket levels, for the activation that would replace this one.
        _bucketsDirty |= budgeted;
        var denial = CheckStanding(now)
            ?? (budgeted ? _budget.Shortfall(_key.Limits, _spentToday + _held, _spentMonth + _held, request.MinUsd, now) : null);
        long grantedRequests = 0, grantedInput = 0, grantedOutput = 0;
        decimal grantedUsd = 0;
        if (denial is null)
        {
            // All three buckets must cover the waiting request, or nothing is taken from any. A call asking for no
            // request (a front handing back an expired slice) takes nothing: the front would drop what it got.
            var wants = request.Requests > 0;
            var needIn = Math.Min(request.MinInputTokens, _input?.Limit ?? long.MaxValue);
            var needOut = Math.Min(request.MinOutputTokens, _output?.Limit ?? long.MaxValue);
            denial = !wants ? null
                : Shortfall(_requests, 1, DenialReason.Requests, "requests per minute", now)
                ?? Shortfall(_input, needIn, DenialReason.InputTokens, "input tokens per minute", now)
                ?? Shortfall(_output, needOut, DenialReason.OutputTokens, "output tokens per minute", now);
            if (denial is null && wants)
            {
                grantedRequests = Grant(_requests, request.Requests, 1, now);
                grantedInput = Grant(_input, Math.Max(needIn, request.InputTokens), needIn, now);
                grantedOutput = Grant(_output, Math.Max(needOut, request.OutputTokens), needOut, now);
            }
            if (denial is null)
            {
                if (budgeted)
                {
                    grantedUsd = _budget.Grant(request.FrontId, _budget.Headroom(_key.Limits, _spentToday + _held, _spentMonth + _held, now),
                        Math.Max(request.MinUsd, request.Usd), request.MinUsd, _options.MaxShareOfAvailable);
                }
                _bucketsDirty = true;
            }
        }

        var streamQuota = StreamQuota(request, now);
        if (denial is null)
        {
            GrainMetrics.LeaseGranted(grantedRequests);
        }
        else
        {
            GrainMetrics.LeaseDenied(denial.Reason);
        }
        var lease = new Lease
        {
            Requests = grantedRequests,
            InputTokens = grantedInput,
            OutputTokens = grantedOutput,
            ValidUntil = now + _options.Duration,
            Key = _key,
            Denial = denial,
            Snapshot = Snapshot(now),
            StreamQuota = streamQuota,
            Usd = budgeted ? grantedUsd : null,
            BudgetEpoch = _budget.Epoch,
        };
        _replies.Remember(request, lease, now);
        return Task.FromResult(lease);
    }

    /// <summary>
    /// The front keeps what it has open and gets as much of the rest of the limit as it asks for,
    /// never more than the other fronts leave: the cluster never has more streams open than the limit.
    /// </summary>
    private int? StreamQuota(LeaseRequest request, DateTimeOffset now)
    {
        if (_key.Limits.ConcurrentStreams is not { } limit)
        {
            return null;
        }
        var others = 0;
        foreach (var (front, share) in _streamQuotas.ToArray())
        {
            if (now - share.At > _options.Duration * 2)
            {
                _streamQuotas.Remove(front);
            }
            else if (front != request.FrontId)
            {
                others += share.Quota;
            }
        }
        var quota = Math.Max(request.ActiveStreams, Math.Min(Math.Max(request.WantedStreams, request.ActiveStreams), limit - others));
        _streamQuotas[request.FrontId] = (quota, now);
        return quota;
    }

    public async Task<SpendSnapshot> SettleAsync(SettlementBatch batch)
    {
        var now = time.GetUtcNow();
        RollOver(now);
        var priced = new PricedCharge[batch.Charges.Count];
        decimal cost = 0;
        for (var i = 0; i < priced.Length; i++)
        {
            priced[i] = Price(batch.Charges[i], now);
            cost += priced[i].CostUsd;
        }
        // Written through before the counters move: an acknowledged batch is durable, a repeated one
        // counts once, and the per-minute rollups go in the same transaction as the spend.
        if (await spend.ApplyAsync(KeyId, batch.BatchId, priced, now))
        {
            foreach (var charge in batch.Charges)
            {
                _input?.Adjust(charge.ReservedInputTokens - charge.Tokens.BilledInput, now);
                _output?.Adjust(charge.ReservedOutputTokens - charge.OutputTokens, now);
                _budget.Release(charge.ReservedUsd, charge.BudgetEpoch, charge.FrontId);
                _requestCount++;
                _tokens += charge.Tokens;
            }
            _spentToday += cost;
            _spentMonth += cost;
            _bucketsDirty = true;
            GrainMetrics.SettlementApplied(batch.Charges.Count, cost);
        }
        else
        {
            GrainMetrics.SettlementDuplicate();
        }
        return new SpendSnapshot { SpentTodayUsd = _spentToday, SpentThisMonthUsd = _spentMonth };
    }

    /// <summary>
    /// Prices one request at the table's rates, rounded to the stores' eight decimals per request, so
    /// the key's spend and the sum of its rollup rows agree exactly. Cache savings are what the same
    /// tokens would have cost uncached minus what they cost: reads save (input − cache read) per
    /// token, writes cost (cache write − input) extra per token. A charge without a time (an older
    /// front) counts in the minute it is settled.
    /// </summary>
    private PricedCharge Price(UsageCharge charge, DateTimeOffset now)
    {
        var factor = charge.PriceMultiplier ?? 1m;
        var cost = charge.CostUsd is { } fixedCost
            ? Math.Max(0, fixedCost)
            : factor * prices.Cost(charge.Model, charge.Tokens);
        var savings = factor * prices.CacheSavings(charge.Model, charge.Tokens);
        return new PricedCharge
        {
            Model = charge.Model,
            Minute = PricedCharge.MinuteOf(charge.At == default ? now : charge.At),
            Tokens = charge.Tokens,
            CostUsd = Math.Round(cost, MoneyScale, MidpointRounding.AwayFromZero),
            CacheSavingsUsd = Math.Round(savings, MoneyScale, MidpointRounding.AwayFromZero),
            ToolCalls = charge.ToolCalls,
        };
    }

    private async Task<Lease> RecheckThenLeaseAsync(LeaseRequest request)
    {
        try
        {
            await RefreshAsync();
        }
        catch (Exception e)
        {
            // The last copy serves until the next try: a store outage must not stop every key.
            _keyReadAt = time.GetUtcNow();
            KeyDirectoryLog.RecheckFailed(logger, KeyId, e);
        }
        return await AcquireLeaseAsync(request);
    }

    public async Task RefreshAsync()
    {
        var now = time.GetUtcNow();
        var fresh = await keys.FindByIdAsync(KeyId);
        _keyReadAt = time.GetUtcNow();
        var limitsChanged = fresh is not null && fresh.Limits != _key.Limits;
        _key = fresh ?? _key with { Revoked = true };
        if (limitsChanged)
        {
            BuildBuckets(new BucketLevels(_requests?.Level, _input?.Level, _output?.Level, now), now);
        }
    }

    public Task<KeyUsageView> GetUsageAsync()
    {
        var now = time.GetUtcNow();
        RollOver(now);
        return Task.FromResult(new KeyUsageView
        {
            Requests = _requestCount,
            Tokens = _tokens,
            SpentTodayUsd = _spentToday,
            SpentThisMonthUsd = _spentMonth,
            Snapshot = Snapshot(now),
        });
    }

    public Task<LeaseDenial?> HoldAsync(BatchBudgetHold hold)
    {
        // A negative hold would lower spent + held: a credit that switches the budget off until released.
        ArgumentOutOfRangeException.ThrowIfNegative(hold.Usd, nameof(hold));
        var now = time.GetUtcNow();
        RollOver(now);
        if (_holds.ContainsKey(hold.HoldId))
        {
            // Reloaded from the store on activation (or a repeat): the provisional hold is a duplicate.
            if (hold.Replaces is { } duplicate && _holds.Remove(duplicate, out var twice))
            {
                _held -= twice;
            }
            return Task.FromResult<LeaseDenial?>(null);
        }
        if (hold.Replaces is { } old)
        {
            // Checked when it was taken: only its id changes (taken again if this activation never saw it).
            _held += _holds.Remove(old, out var moved) ? hold.Usd - moved : hold.Usd;
            _holdExpiry.Remove(old);
            _holds[hold.HoldId] = hold.Usd;
            return Task.FromResult<LeaseDenial?>(null);
        }
        var denial = CheckStanding(now, hold.Usd);
        if (denial is null)
        {
            _holds[hold.HoldId] = hold.Usd;
            _held += hold.Usd;
            if (hold.ExpiresAt is { } expires)
            {
                _holdExpiry[hold.HoldId] = expires;
            }
        }
        return Task.FromResult(denial);
    }

    public Task ReleaseHoldAsync(string holdId)
    {
        Release(holdId);
        return Task.CompletedTask;
    }

    private void Release(string holdId)
    {
        if (_holds.Remove(holdId, out var amount))
        {
            _held -= amount;
        }
        _holdExpiry.Remove(holdId);
    }

    private void LapseHolds(DateTimeOffset now)
    {
        foreach (var (id, expires) in _holdExpiry.ToArray())
        {
            if (expires <= now)
            {
                Release(id);
            }
        }
    }

    /// <summary>
    /// Revoked, or a budget spent: settled spend plus what open batches hold counts, and with
    /// <paramref name="adding"/> &gt; 0 (a new hold) it must still fit under the budget.
    /// </summary>
    private LeaseDenial? CheckStanding(DateTimeOffset now, decimal adding = 0)
    {
        if (_holdExpiry.Count > 0)
        {
            LapseHolds(now);
        }
        if (_key.Revoked)
        {
            return new LeaseDenial { Reason = DenialReason.Revoked, Message = "This API key has been revoked." };
        }
        if (adding > 0 && OverBudget(now, adding) is { } refused)
        {
            return refused;
        }
        if (_key.Limits.DailyBudgetUsd is { } daily && _spentToday + _held >= daily)
        {
            var midnight = new DateTimeOffset(now.UtcDateTime.Date.AddDays(1), TimeSpan.Zero);
            return new LeaseDenial
            {
                Reason = DenialReason.DailyBudget,
                Message = $"This API key's daily budget of ${daily:0.##} is spent (${_spentToday:0.####} today); it resets at 00:00 UTC.",
                RetryAfter = midnight - now,
            };
        }
        if (_key.Limits.MonthlyBudgetUsd is { } monthly && _spentMonth + _held >= monthly)
        {
            var first = new DateTimeOffset(new DateTime(now.Year, now.Month, 1, 0, 0, 0, DateTimeKind.Utc).AddMonths(1), TimeSpan.Zero);
            return new LeaseDenial
            {
                Reason = DenialReason.MonthlyBudget,
                Message = $"This API key's monthly budget of ${monthly:0.##} is spent (${_spentMonth:0.####} this month); it resets on the 1st at 00:00 UTC.",
                RetryAfter = first - now,
            };
        }
        return null;
    }

    /// <summary>A hold of <paramref name="adding"/> that would take spent + held past a budget.</summary>
    private LeaseDenial? OverBudget(DateTimeOffset now, decimal adding)
    {
        if (_key.Limits.DailyBudgetUsd is { } daily && _spentToday + _held + _budget.Effective(now) + adding > daily)
        {
            return new LeaseDenial
            {
                Reason = DenialReason.DailyBudget,
                Message = $"This API key's daily budget of ${daily:0.##} cannot cover this reservation of ${adding:0.####} (${_spentToday:0.####} spent today, ${_held + _budget.Effective(now):0.####} held by open batches and running requests); it resets at 00:00 UTC.",
                RetryAfter = new DateTimeOffset(now.UtcDateTime.Date.AddDays(1), TimeSpan.Zero) - now,
            };
        }
        if (_key.Limits.MonthlyBudgetUsd is { } monthly && _spentMonth + _held + _budget.Effective(now) + adding > monthly)
        {
            return new LeaseDenial
            {
                Reason = DenialReason.MonthlyBudget,
                Message = $"This API key's monthly budget of ${monthly:0.##} cannot cover this reservation of ${adding:0.####} (${_spentMonth:0.####} spent this month, ${_held + _budget.Effective(now):0.####} held by open batches and running requests); it resets on the 1st at 00:00 UTC.",
                RetryAfter = new DateTimeOffset(new DateTime(now.Year, now.Month, 1, 0, 0, 0, DateTimeKind.Utc).AddMonths(1), TimeSpan.Zero) - now,
            };
        }
        return null;
    }

    private static LeaseDenial? Shortfall(TokenBucket? bucket, long needed, DenialReason reason, string what, DateTimeOffset now)
    {
        if (bucket is null || needed <= 0)
        {
            return null;
        }
        var wait = bucket.TimeUntil(needed, now);
        return wait <= TimeSpan.Zero
            ? null
            : new LeaseDenial
            {
                Reason = reason,
                Message = $"This API key's rate limit of {bucket.Limit} {what} is exceeded; retry after {Math.Ceiling(wait.TotalSeconds)} s.",
                RetryAfter = wait,
            };
    }

    private long Grant(TokenBucket? bucket, long wanted, long minimum, DateTimeOffset now)
    {
        if (bucket is null)
        {
            return wanted;
        }
        bucket.Refill(now);
        // Leave some of a hot key's bucket for the other fronts; always at least one request's worth.
        var share = (long)Math.Floor(Math.Max(0, bucket.Level) * _options.MaxShareOfAvailable);
        return bucket.Take(Math.Max(minimum, Math.Min(wanted, share)), minimum, now);
    }

    private RateLimitSnapshot Snapshot(DateTimeOffset now) => new()
    {
        Requests = Level(_requests, now),
        InputTokens = Level(_input, now),
        OutputTokens = Level(_output, now),
    };

    private static BucketLevel? Level(TokenBucket? bucket, DateTimeOffset now)
    {
        if (bucket is null)
        {
            return null;
        }
        var view = bucket.View(now);
        return new BucketLevel(view.Limit, view.Remaining, view.Reset);
    }

    private void BuildBuckets(BucketLevels? saved, DateTimeOffset now)
    {
        var limits = _key.Limits;
        var at = saved?.At ?? now;
        _requests = Bucket(limits.RequestsPerMinute, saved?.Requests, at, now);
        _input = Bucket(limits.InputTokensPerMinute, saved?.InputTokens, at, now);
        _output = Bucket(limits.OutputTokensPerMinute, saved?.OutputTokens, at, now);
    }

    private static TokenBucket? Bucket(long? limit, double? level, DateTimeOffset at, DateTimeOffset now)
    {
        if (limit is not > 0)
        {
            return null;
        }
        var bucket = new TokenBucket(limit.Value, level ?? limit.Value, at);
        bucket.Refill(now);
        return bucket;
    }

    private void RollOver(DateTimeOffset now)
    {
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        if (today != _day)
        {
            if (today.Month != _day.Month || today.Year != _day.Year)
            {
                _spentMonth = 0;
            }
            _spentToday = 0;
            _day = today;
        }
    }

    private async Task PersistBucketsAsync(CancellationToken cancellationToken)
    {
        if (!_bucketsDirty)
        {
            return;
        }
        _bucketsDirty = false;
        var now = time.GetUtcNow();
        try
        {
            await spend.SaveBucketsAsync(KeyId, new BucketLevels(Level(_requests), Level(_input), Level(_output), now,
                BudgetHolds.Applies(_key.Limits) ? _budget.Held : null), cancellationToken);
        }
        catch (Exception e)
        {
            _bucketsDirty = true;
            GrainMetrics.StoreWriteFailed("key_buckets");
            KeyGrainLog.BucketSaveFailed(logger, KeyId, e);
        }

        double? Level(TokenBucket? bucket)
        {
            bucket?.Refill(now);
            return bucket?.Level;
        }
    }
}

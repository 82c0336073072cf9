using Gateway.Grains.Abstractions;
using Gateway.Grains.Keys;

namespace Gateway.Tests.Admission;

/// <summary>
/// A key grain reduced to a requests-per-minute <see cref="TokenBucket"/> on the test's clock, for driving a
/// <see cref="Gateway.Front.Admission.KeyLeaseHolder"/> without a cluster. It records every lease request,
/// grants at least <see cref="Slice"/> requests when the bucket has them, refuses with the bucket's wait when
/// it is empty, and answers a revoked key with a revocation. Null limit: requests are unlimited.
/// </summary>
internal sealed class BucketKeyGrain(TimeProvider time, long? requestsPerMinute, double? startLevel = null) : IApiKeyGrain
{
    private readonly TokenBucket? _bucket = requestsPerMinute is { } limit ? new TokenBucket(limit, startLevel ?? limit, time.GetUtcNow()) : null;

    public KeyDescriptor Key { get; set; } = new() { KeyId = "key-1", TeamId = "team-1" };

    /// <summary>Requests granted at least per lease (a busy key's slice), when the bucket holds them.</summary>
    public long Slice { get; set; } = 1;

    public List<LeaseRequest> Requests { get; } = [];

    public Task<Lease> AcquireLeaseAsync(LeaseRequest request)
    {
        Requests.Add(request);
        var now = time.GetUtcNow();
        var streams = Key.Limits.ConcurrentStreams is { } limit ? Math.Min(request.WantedStreams, limit) : (int?)null;
        if (Key.Revoked)
        {
            return Task.FromResult(Answer(0, request, now, streams, new LeaseDenial { Reason = DenialReason.Revoked, Message = "revoked" }));
        }
        if (_bucket is null)
        {
            return Task.FromResult(Answer(request.Requests, request, now, streams, null));
        }
        _bucket.Adjust(request.ReturnedRequests, now);
        var granted = request.Requests > 0 ? _bucket.Take(Math.Max(request.Requests, Slice), 1, now) : 0;
        var denial = request.Requests > 0 && granted == 0
            ? new LeaseDenial { Reason = DenialReason.Requests, Message = "rate limited", RetryAfter = _bucket.TimeUntil(1, now) }
            : null;
        return Task.FromResult(Answer(granted, request, now, streams, denial));
    }

    /// <summary>Tokens are unlimited here: every request gets the tokens it asked for.</summary>
    private Lease Answer(long granted, LeaseRequest request, DateTimeOffset now, int? streams, LeaseDenial? denial)
    {
        var level = _bucket?.View(now);
        return new Lease
        {
            Requests = granted,
            InputTokens = request.InputTokens,
            OutputTokens = request.OutputTokens,
            ValidUntil = now + TimeSpan.FromSeconds(1),
            Key = Key,
            Denial = denial,
            StreamQuota = streams,
            Snapshot = new RateLimitSnapshot { Requests = level is { } l ? new BucketLevel(l.Limit, l.Remaining, l.Reset) : null },
        };
    }

    public Task<SpendSnapshot> SettleAsync(SettlementBatch batch) => throw new NotSupportedException();

    public Task RefreshAsync() => throw new NotSupportedException();

    public Task<KeyUsageView> GetUsageAsync() => throw new NotSupportedException();

    public Task<LeaseDenial?> HoldAsync(BatchBudgetHold hold) => throw new NotSupportedException();

    public Task ReleaseHoldAsync(string holdId) => throw new NotSupportedException();
}

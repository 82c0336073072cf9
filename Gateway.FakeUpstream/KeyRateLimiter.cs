using System.Collections.Concurrent;

namespace Gateway.FakeUpstream;

/// <summary>
/// Per-key request limit as a token bucket refilling continuously (capacity = limit per minute),
/// which is how Anthropic describes its limits: a client that waits <c>retry-after</c> gets one
/// request through, it does not wait for a whole minute window to roll over.
/// </summary>
internal sealed class KeyRateLimiter
{
    /// <summary>What the headers advertise when no limit is configured: generous and constant, so a
    /// gateway that learns headroom from headers never sees it shrink during a benchmark.</summary>
    public const int UnlimitedAdvertisedLimit = 4000;

    private readonly ConcurrentDictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);

    /// <summary>Current state without taking a request (for headers on every response).</summary>
    public RateLimitWindow Peek(string? key, int perMinute, DateTimeOffset now)
    {
        if (perMinute <= 0 || key is null || !_buckets.TryGetValue(key, out var bucket))
        {
            return Full(perMinute, now);
        }
        return bucket.Peek(perMinute, now);
    }

    /// <summary>Takes one request from the key's bucket; on refusal, <paramref name="retryAfter"/> is when one is available.</summary>
    public bool TryAcquire(string key, int perMinute, DateTimeOffset now, out RateLimitWindow snapshot, out TimeSpan retryAfter)
    {
        if (perMinute <= 0)
        {
            snapshot = Full(perMinute, now);
            retryAfter = TimeSpan.Zero;
            return true;
        }
        var bucket = _buckets.GetOrAdd(key, static (_, capacity) => new Bucket(capacity), perMinute);
        return bucket.TryTake(perMinute, now, out snapshot, out retryAfter);
    }

    public void Clear() => _buckets.Clear();

    private static RateLimitWindow Full(int perMinute, DateTimeOffset now)
    {
        var limit = perMinute > 0 ? perMinute : UnlimitedAdvertisedLimit;
        return new RateLimitWindow(limit, limit, now);
    }

    private sealed class Bucket(int capacity)
    {
        private readonly Lock _gate = new();
        private double _level = capacity;
        private DateTimeOffset _last = DateTimeOffset.MinValue;

        public RateLimitWindow Peek(int capacity, DateTimeOffset now)
        {
            lock (_gate)
            {
                Refill(capacity, now);
                return Snapshot(capacity, now);
            }
        }

        public bool TryTake(int capacity, DateTimeOffset now, out RateLimitWindow snapshot, out TimeSpan retryAfter)
        {
            lock (_gate)
            {
                Refill(capacity, now);
                if (_level >= 1)
                {
                    _level -= 1;
                    snapshot = Snapshot(capacity, now);
                    retryAfter = TimeSpan.Zero;
                    return true;
                }

                snapshot = Snapshot(capacity, now);
                retryAfter = TimeSpan.FromSeconds((1 - _level) * 60.0 / capacity);
                return false;
            }
        }

        private void Refill(int capacity, DateTimeOffset now)
        {
            if (_last != DateTimeOffset.MinValue && now > _last)
            {
                _level += (now - _last).TotalSeconds * capacity / 60.0;
            }
            // The limit may have been changed at runtime: never hold more than the current capacity.
            _level = Math.Min(_level, capacity);
            _last = now;
        }

        private RateLimitWindow Snapshot(int capacity, DateTimeOffset now) =>
            new(capacity, (int)Math.Floor(_level), now + TimeSpan.FromSeconds((capacity - _level) * 60.0 / capacity));
    }
}

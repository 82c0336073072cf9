using Gateway.Grains.Abstractions;

namespace Gateway.Front.Upstreams;

/// <summary>
/// A front's local view of one upstream credential: headroom from the newest rate-limit headers
/// (seen here or learned from the key's grain), requests sent since, and the cool-down. Read on every
/// pick without a grain call; what this front observes is queued (coalesced) for the grain.
/// </summary>
public sealed class PooledKey
{
    private readonly Lock _gate = new();
    private readonly KeyPoolOptions _options;
    private readonly UpstreamSyncNudge? _nudge;
    private UpstreamKeyState _view = UpstreamKeyState.Empty;
    private UpstreamKeyState? _pending;
    private long _sentSinceObservation;
    private long _coolUntilTicks;

    /// <summary>Cool-downs of one model class (indexed by <see cref="ModelClass"/>): a 429 limits one class of a key.</summary>
    private readonly long[] _classCoolUntilTicks = new long[ModelClasses.Count];

    public PooledKey(string provider, UpstreamCredential credential, KeyPoolOptions options, UpstreamSyncNudge? nudge = null)
    {
        _nudge = nudge;
        Provider = provider;
        Credential = credential;
        GrainKey = UpstreamKeyGrainKey.Of(provider, credential.Id);
        _options = options;
    }

    public string Provider { get; }
    public UpstreamCredential Credential { get; }

    /// <summary><c>provider/keyId</c>: the key of its <see cref="IUpstreamKeyGrain"/>.</summary>
    public string GrainKey { get; }

    public DateTimeOffset CoolDownUntil => new(Volatile.Read(ref _coolUntilTicks), TimeSpan.Zero);

    public bool IsCooling(DateTimeOffset now) => Volatile.Read(ref _coolUntilTicks) > now.UtcTicks;

    /// <summary>Whether requests of <paramref name="modelClass"/> must not use the key now (key-wide or class cool-down).</summary>
    public bool IsCooling(DateTimeOffset now, ModelClass modelClass) =>
        IsCooling(now) || Volatile.Read(ref _classCoolUntilTicks[(int)modelClass]) > now.UtcTicks;

    public DateTimeOffset CoolDownFor(ModelClass modelClass) =>
        new(Math.Max(Volatile.Read(ref _coolUntilTicks), Volatile.Read(ref _classCoolUntilTicks[(int)modelClass])), TimeSpan.Zero);

    /// <summary>
    /// Fraction of the tightest known bucket left, in [-∞, 1]: the last remaining count refilled at
    /// limit/minute since it was read (Anthropic's buckets refill continuously), minus requests sent
    /// since. Unknown (no response seen yet) counts as full.
    /// </summary>
    public double Headroom(DateTimeOffset now)
    {
        lock (_gate)
        {
            var elapsed = Math.Max(0, (now - _view.ObservedAt).TotalSeconds);
            var sent = _sentSinceObservation;
            var score = Fraction(_view.Requests, elapsed, sent);
            score = Math.Min(score, Fraction(_view.Tokens, elapsed, 0));
            score = Math.Min(score, Fraction(_view.InputTokens, elapsed, 0));
            return Math.Min(score, Fraction(_view.OutputTokens, elapsed, 0));
        }
    }

    private static double Fraction(BucketLevel? level, double elapsedSeconds, long spent)
    {
        if (level is not { Limit: > 0 } b)
        {
            return 1;
        }
        var estimate = Math.Min(b.Limit, b.Remaining + elapsedSeconds * b.Limit / 60.0) - spent;
        return estimate / b.Limit;
    }

    /// <summary>A request is about to use this key.</summary>
    public void Sent() => Interlocked.Increment(ref _sentSinceObservation);

    /// <summary>Levels read from a response this front received; queued for the grain.</summary>
    public void Observe(UpstreamKeyState levels)
    {
        lock (_gate)
        {
            if (levels.ObservedAt >= _view.ObservedAt)
            {
                _view = _view with
                {
                    ObservedAt = levels.ObservedAt,
                    Requests = levels.Requests ?? _view.Requests,
                    Tokens = levels.Tokens ?? _view.Tokens,
                    InputTokens = levels.InputTokens ?? _view.InputTokens,
                    OutputTokens = levels.OutputTokens ?? _view.OutputTokens,
                };
                _sentSinceObservation = 0;
            }
            _pending = _pending is null ? levels : _pending.Merge(levels with { CoolDowns = 0 });
        }
    }

    /// <summary>A 429 (or a 529 naming a retry-after): no request uses the key until then, here at once and cluster-wide soon.</summary>
    public void CoolDown(TimeSpan? retryAfter, DateTimeOffset now)
    {
        var until = now + Wait(retryAfter);
        ExtendCoolDown(until);
        Report(new UpstreamKeyState { CoolDownUntil = until, CoolDowns = 1 });
        _nudge?.Nudge();
    }

    /// <summary>
    /// A 429 that exhausted one model class's bucket: only requests of that class stay off the key, for
    /// the time the upstream gave (capped), here at once and cluster-wide soon.
    /// </summary>
    public void CoolDown(TimeSpan? retryAfter, DateTimeOffset now, ModelClass modelClass)
    {
        var until = now + Wait(retryAfter);
        Extend(ref _classCoolUntilTicks[(int)modelClass], until.UtcTicks);
        var classes = new DateTimeOffset[ModelClasses.Count];
        classes[(int)modelClass] = until;
        Report(new UpstreamKeyState { ClassCoolDownUntil = classes, CoolDowns = 1 });
        _nudge?.Nudge();
    }

    private TimeSpan Wait(TimeSpan? retryAfter)
    {
        var wait = retryAfter is { } after && after > TimeSpan.Zero ? after : _options.DefaultCoolDown;
        return wait > _options.MaxCoolDown ? _options.MaxCoolDown : wait;
    }

    private void Report(UpstreamKeyState report)
    {
        lock (_gate)
        {
            _pending = _pending is null ? report : _pending.Merge(report);
        }
    }

    private void ExtendCoolDown(DateTimeOffset until) => Extend(ref _coolUntilTicks, until.UtcTicks);

    private static void Extend(ref long field, long ticks)
    {
        long seen;
        while ((seen = Volatile.Read(ref field)) < ticks
               && Interlocked.CompareExchange(ref field, ticks, seen) != seen)
        {
        }
    }

    /// <summary>What this front learned since the last sync (null: nothing), taken for one report.</summary>
    internal UpstreamKeyState? TakePending()
    {
        lock (_gate)
        {
            var pending = _pending;
            _pending = null;
            return pending;
        }
    }

    /// <summary>A report that could not be delivered goes back in the queue (merged with anything newer).</summary>
    internal void Requeue(UpstreamKeyState report)
    {
        lock (_gate)
        {
            _pending = _pending is null ? report : report.Merge(_pending);
        }
    }

    /// <summary>The cluster's view from the grain: newer levels replace ours; a cool-down only extends.</summary>
    internal void Apply(UpstreamKeyState cluster)
    {
        ExtendCoolDown(cluster.CoolDownUntil);
        if (cluster.ClassCoolDownUntil is { } classes)
        {
            for (var i = 0; i < classes.Length && i < _classCoolUntilTicks.Length; i++)
            {
                Extend(ref _classCoolUntilTicks[i], classes[i].UtcTicks);
            }
        }
        lock (_gate)
        {
            if (cluster.ObservedAt > _view.ObservedAt)
            {
                _view = cluster;
                _sentSinceObservation = 0;
            }
        }
    }
}

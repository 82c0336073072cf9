namespace Gateway.Grains.Keys;

/// <summary>
/// A per-minute limit as a continuously refilled bucket (the way Anthropic meters its own limits):
/// capacity = the limit, refill = limit/60 per second. The level may go below zero when actual usage
/// exceeds what was reserved; the debt is paid back by refill before anything more is granted.
/// </summary>
public sealed class TokenBucket
{
    private readonly double _perSecond;

    public TokenBucket(long limit, double level, DateTimeOffset at)
    {
        Limit = limit;
        _perSecond = limit / 60.0;
        Level = Math.Min(level, limit);
        UpdatedAt = at;
    }

    public long Limit { get; }
    public double Level { get; private set; }
    public DateTimeOffset UpdatedAt { get; private set; }

    public void Refill(DateTimeOffset now)
    {
        if (now > UpdatedAt)
        {
            Level = Math.Min(Limit, Level + (now - UpdatedAt).TotalSeconds * _perSecond);
            UpdatedAt = now;
        }
    }

    /// <summary>Takes up to <paramref name="wanted"/> whole units, at least <paramref name="minimum"/> or none.</summary>
    public long Take(long wanted, long minimum, DateTimeOffset now)
    {
        Refill(now);
        var available = (long)Math.Floor(Level);
        if (available < minimum || available <= 0)
        {
            return 0;
        }
        var granted = Math.Min(wanted, available);
        Level -= granted;
        return granted;
    }

    /// <summary>Credits unused units back, or debits usage beyond the reservation (negative amount).</summary>
    public void Adjust(long amount, DateTimeOffset now)
    {
        Refill(now);
        Level = Math.Min(Limit, Level + amount);
    }

    /// <summary>Time until <paramref name="units"/> are available (capped at the units' refill time).</summary>
    public TimeSpan TimeUntil(long units, DateTimeOffset now)
    {
        Refill(now);
        var missing = Math.Min(units, Limit) - Level;
        return missing <= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(missing / _perSecond);
    }

    public BucketLevelView View(DateTimeOffset now)
    {
        Refill(now);
        var remaining = Math.Max(0, (long)Math.Floor(Level));
        return new BucketLevelView(Limit, remaining, now + TimeSpan.FromSeconds((Limit - Math.Max(0, Level)) / _perSecond));
    }
}

public readonly record struct BucketLevelView(long Limit, long Remaining, DateTimeOffset Reset);

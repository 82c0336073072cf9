namespace Gateway.Front.Audit;

/// <summary>
/// Lets a repeated log line through at most once per interval, with how many occurrences it stands for.
/// Lock-free: safe on the request path.
/// </summary>
internal sealed class LogThrottle(TimeSpan interval)
{
    private readonly long _intervalMs = (long)interval.TotalMilliseconds;
    private long _nextAt;
    private long _pending;

    /// <summary>Counts one occurrence; true (with the occurrences since the last report) when it may be logged now.</summary>
    public bool Hit(out long occurrences)
    {
        Interlocked.Increment(ref _pending);
        var now = Environment.TickCount64;
        var next = Volatile.Read(ref _nextAt);
        if (now < next || Interlocked.CompareExchange(ref _nextAt, now + _intervalMs, next) != next)
        {
            occurrences = 0;
            return false;
        }
        occurrences = Interlocked.Exchange(ref _pending, 0);
        return true;
    }
}

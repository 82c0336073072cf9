using Microsoft.Extensions.Logging;

namespace Gateway.Grains.Hosting;

/// <summary>
/// Lets a client start before any silo is up: every failed connection attempt (no gateway in the
/// membership table yet, Redis not reachable, a gateway refusing) is retried, with a backoff from
/// 0.5 s doubling to 5 s, until it succeeds or the host stops. Orleans' default gives up after 15
/// attempts and does not retry "no gateway found" at all.
/// </summary>
internal sealed class ClusterConnectionRetryFilter(ILogger<ClusterConnectionRetryFilter> logger) : IClientConnectionRetryFilter
{
    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(5);
    private int _attempt;

    public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
        var attempt = Interlocked.Increment(ref _attempt);
        var delay = TimeSpan.FromTicks(Math.Min(MaxDelay.Ticks, FirstDelay.Ticks << Math.Min(attempt - 1, 10)));
        ClusterHostingLog.ConnectionAttemptFailed(logger, attempt, delay.TotalSeconds, exception.GetType().Name, exception.Message);
        await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        return true;
    }
}

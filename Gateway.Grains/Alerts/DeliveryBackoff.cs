namespace Gateway.Grains.Alerts;

/// <summary>
/// When a failed delivery is tried again: the base delay doubled per attempt made, capped, with ±20 % jitter
/// so the deliveries of one outage do not all return at the same instant; or never, once the crossing is older
/// than <see cref="AlertOptions.GiveUpAfter"/>.
/// </summary>
public static class DeliveryBackoff
{
    /// <param name="attempts">Attempts made, this one included (1 after the first failure).</param>
    /// <param name="jitter">A number in [0, 1) (the caller's random source, so tests can fix it).</param>
    public static TimeSpan Delay(int attempts, AlertOptions options, double jitter)
    {
        ArgumentNullException.ThrowIfNull(options);
        var exponent = Math.Clamp(attempts - 1, 0, 30);
        var ticks = Math.Min(options.RetryBaseDelay.Ticks * Math.Pow(2, exponent), options.RetryMaxDelay.Ticks);
        return TimeSpan.FromTicks((long)(ticks * (0.8 + (0.4 * jitter))));
    }

    /// <summary>The next attempt's time, or null when the next one would fall past the give-up horizon.</summary>
    public static DateTimeOffset? Next(DateTimeOffset crossedAt, DateTimeOffset now, int attempts, AlertOptions options, double jitter)
    {
        ArgumentNullException.ThrowIfNull(options);
        var next = now + Delay(attempts, options, jitter);
        return next - crossedAt > options.GiveUpAfter ? null : next;
    }
}

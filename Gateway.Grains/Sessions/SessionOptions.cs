namespace Gateway.Grains.Sessions;

/// <summary>How session grains keep their totals. Section <c>Sessions</c>.</summary>
public sealed class SessionOptions
{
    public const string Section = "Sessions";

    /// <summary>
    /// How often a session's changed totals are written to <c>session_usage</c>. Also the loss window:
    /// a silo killed without a graceful stop loses at most this much of a session's counts (a graceful
    /// stop or idle deactivation writes them). Session counts are informational; the key's spend,
    /// written through on every settlement, is what bills.
    /// </summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(1);
}

namespace Gateway.Front.Auth;

/// <summary>
/// Section <c>Auth:UnknownKeys</c>: what an unknown key may cost a front. The remote address is the TCP
/// peer; behind an ingress or load balancer that is the ingress, unless ASP.NET Core's forwarded-headers
/// middleware is configured to trust it (nothing is configured implicitly): then every client shares one
/// address, and only keys this front has seen work recently still get through while it is limited.
/// </summary>
public sealed class UnknownKeyOptions
{
    public const string Section = "Auth:UnknownKeys";

    /// <summary>
    /// How long a front remembers that a hash is unknown (no grain call meanwhile). A key created for a
    /// secret that was tried just before works after at most this plus the directory's own unknown-key
    /// time (<c>KeyDirectory:UnknownKeyTime</c>).
    /// </summary>
    public TimeSpan CacheTime { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Most unknown hashes (and, separately, recently working keys) remembered; past it they are forgotten.</summary>
    public int CacheSize { get; set; } = 10_000;

    /// <summary>
    /// Lookups of unknown keys one client address may cause per <see cref="FailureWindow"/> (0 turns the
    /// limit off). A key already remembered as unknown (<see cref="CacheTime"/>) costs nothing and does not
    /// count, so a client stuck on one stale key (about 12 lookups a minute) is never limited; a scan of
    /// made-up keys is.
    /// </summary>
    public int FailuresPerAddress { get; set; } = 30;

    public TimeSpan FailureWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Most client addresses counted at once (IPv6 by /64); past it, new addresses share one count, so a
    /// scan spread over many addresses is still limited and memory stays bounded.
    /// </summary>
    public int MaxTrackedAddresses { get; set; } = 10_000;

    /// <summary>
    /// A key that authenticated on this front within this time is let through a limited address (it is
    /// checked as usual): one scanner behind a shared address does not lock out its neighbours' keys.
    /// </summary>
    public TimeSpan KnownKeyTime { get; set; } = TimeSpan.FromMinutes(10);
}

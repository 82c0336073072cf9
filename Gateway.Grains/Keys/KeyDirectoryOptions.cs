namespace Gateway.Grains.Keys;

/// <summary>
/// Section <c>KeyDirectory</c>: how long the cluster trusts its copy of a key without asking the store.
/// The admin API tells the grains about each change at once; these bound how long a change takes when
/// that notice is lost (a silo unreachable from the admin front, a timeout).
/// </summary>
public sealed class KeyDirectoryOptions
{
    public const string Section = "KeyDirectory";

    /// <summary>
    /// A directory entry (hash → key) and a key's grain re-read the key from the store when their copy is
    /// older than this (one indexed query per key in use per interval). A revoked key, or the old secret of
    /// a rotated one, stops working within this plus the front's <c>Auth:CacheTime</c> even if the notice is lost.
    /// </summary>
    public TimeSpan RecheckInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a directory entry remembers that no key has its hash, after which its activation goes
    /// (an unknown key must not hold memory for the usual 30 minutes).
    /// </summary>
    public TimeSpan UnknownKeyTime { get; set; } = TimeSpan.FromSeconds(5);
}

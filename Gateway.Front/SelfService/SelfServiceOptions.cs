namespace Gateway.Front.SelfService;

/// <summary>A key's own usage endpoint (<c>GET /gateway/usage</c>). Section <c>SelfService</c>.</summary>
public sealed class SelfServiceOptions
{
    public const string Section = "SelfService";

    /// <summary>
    /// How long a front answers a key's usage from its last grain read. A flood of usage calls with one key costs
    /// one grain call per this time per front, whatever its rate; the figures are at most this old.
    /// </summary>
    public TimeSpan CacheTime { get; set; } = TimeSpan.FromSeconds(1);
}

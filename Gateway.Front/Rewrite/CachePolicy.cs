namespace Gateway.Front.Rewrite;

/// <summary>
/// Whether to inject breakpoints into one request, and with which TTL. Resolved per request from the
/// options, the key's (or route's) setting and the client's header; the common outcomes are shared
/// instances, so resolving allocates nothing.
/// </summary>
public sealed record CachePolicy(bool Enabled, string? Ttl)
{
    public static readonly CachePolicy Disabled = new(false, null);

    /// <summary>Enabled with Anthropic's default 5-minute TTL (no <c>ttl</c> field written).</summary>
    public static readonly CachePolicy Default = new(true, null);

    public static readonly CachePolicy FiveMinutes = new(true, "5m");

    public static readonly CachePolicy OneHour = new(true, "1h");

    /// <summary>True when the added breakpoints carry <c>"ttl":"1h"</c>.</summary>
    public bool IsOneHour => Ttl == "1h";

    /// <summary>
    /// The policy for one request. <paramref name="keyEnabled"/> is the key's (or route's) switch: null
    /// follows <see cref="CacheInjectionOptions.Enabled"/>, true or false overrides it. <paramref name="keyTtl"/>
    /// overrides the configured TTL when set. A <paramref name="headerValue"/> of <c>off</c> (the value of
    /// <see cref="CacheInjectionOptions.DisableHeader"/>) always wins: a client can opt out, never in.
    /// </summary>
    public static CachePolicy Resolve(CacheInjectionOptions options, bool? keyEnabled = null, string? headerValue = null, string? keyTtl = null)
    {
        if (!(keyEnabled ?? options.Enabled) || IsOff(headerValue))
        {
            return Disabled;
        }
        return (string.IsNullOrEmpty(keyTtl) ? options.Ttl : keyTtl) switch
        {
            "1h" => OneHour,
            "5m" => FiveMinutes,
            _ => Default,
        };
    }

    private static bool IsOff(string? value) =>
        value is not null && value.AsSpan().Trim().Equals("off", StringComparison.OrdinalIgnoreCase);
}

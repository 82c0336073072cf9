using Gateway.Grains.Abstractions;

namespace Gateway.Front.Admission;

/// <summary>
/// Set on a request authenticated by a virtual key (a request feature): the upstream organisation's
/// rate-limit figures and identity are not the tenant's business. Upstream answers lose the
/// organisation's <c>anthropic-ratelimit-*</c> (and an OpenAI-compatible provider's <c>x-ratelimit-*</c>),
/// <c>anthropic-organization-id</c> and the like, and carry the virtual key's own figures instead (none for
/// a key without limits, or a request not admitted against any). Bodies and every other header pass
/// unchanged; in pass-through mode the feature is absent and nothing is touched.
/// </summary>
public sealed class TenantResponseHeaders
{
    private static readonly string[] Prefixes = ["anthropic-ratelimit-", "x-ratelimit-"];

    private static readonly HashSet<string> Names = new(StringComparer.OrdinalIgnoreCase)
    {
        "anthropic-organization-id", "openai-organization", "openai-project",
    };

    /// <summary>The key's buckets as its admission saw them; null when it was not admitted against any.</summary>
    public RateLimitSnapshot? Snapshot { get; set; }

    public static bool IsUpstreamOwn(string name)
    {
        if (Names.Contains(name))
        {
            return true;
        }
        foreach (var prefix in Prefixes)
        {
            if (name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Replaces the upstream's own headers in <paramref name="headers"/> with the key's.</summary>
    public void Apply(IHeaderDictionary headers)
    {
        List<string>? drop = null;
        // The pairs, not Keys: Kestrel's Keys copies every name into a new collection on each call.
        foreach (var header in headers)
        {
            if (IsUpstreamOwn(header.Key))
            {
                (drop ??= []).Add(header.Key);
            }
        }
        if (drop is not null)
        {
            foreach (var name in drop)
            {
                headers.Remove(name);
            }
        }
        RateLimitHeaders.Write(headers, Snapshot);
    }

    /// <summary>Applies the request's tenant view, if it has one, to its response headers.</summary>
    public static void ApplyTo(HttpContext context) => context.Features.Get<TenantResponseHeaders>()?.Apply(context.Response.Headers);
}

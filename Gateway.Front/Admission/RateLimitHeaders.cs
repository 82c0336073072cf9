using System.Globalization;
using Gateway.Grains.Abstractions;

namespace Gateway.Front.Admission;

/// <summary>
/// <c>anthropic-ratelimit-*</c> headers describing the virtual key's own buckets, in Anthropic's
/// format (reset as RFC 3339), so Claude Code and the SDKs back off on the gateway's limits.
/// </summary>
public static class RateLimitHeaders
{
    public static void Write(IHeaderDictionary headers, RateLimitSnapshot? snapshot)
    {
        if (snapshot is null)
        {
            return;
        }
        Write(headers, "requests", snapshot.Requests);
        Write(headers, "input-tokens", snapshot.InputTokens);
        Write(headers, "output-tokens", snapshot.OutputTokens);
    }

    private static void Write(IHeaderDictionary headers, string name, BucketLevel? level)
    {
        if (level is not { } l)
        {
            return;
        }
        headers[$"anthropic-ratelimit-{name}-limit"] = l.Limit.ToString(CultureInfo.InvariantCulture);
        headers[$"anthropic-ratelimit-{name}-remaining"] = l.Remaining.ToString(CultureInfo.InvariantCulture);
        headers[$"anthropic-ratelimit-{name}-reset"] = l.Reset.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
    }
}
